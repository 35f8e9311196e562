"""Assembling a brief for a planner's challenge from the content and the search index.

Each section is a search of one entry type (``KnowledgeBase.find``), so what goes in is
chosen by the index for this challenge, never a fixed list; an entry that is not close
to the challenge (``Result.close``, the one rule of :mod:`kb.search.relevance`) is left out rather than padding a
section. Everything the brief says is the content's own text, so the same content and
challenge give the same brief.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kb.brief.model import (
    Brief,
    CaseStudyItem,
    CaveatNote,
    Citation,
    ContentVersion,
    Evidence,
    Item,
    Outcome,
    Page,
    Reason,
    ResultRow,
    Section,
    Source,
)
from kb.content import Content, entry_hash
from kb.core import KnowledgeBase
from kb.documents import forbidden_character
from kb.entry_types import AIMS, entry_url
from kb.errors import QueryError
from kb.evidence import basis, evidence_of
from kb.models import Barrier, CaseStudy, Caveat, Dilemma, EntryBase, SourceDocument, SourceRef
from kb.search.explain import Result
from kb.search.searcher import check_query

MAX_CASE_STUDIES = 5
# The sections after the case studies, in the order a brief gives them: (entry type,
# heading, how many at most).
SECTIONS: list[tuple[str, str, int]] = [
    ("top-tip", "Top tips", 3),
    ("enabler", "What helps (enablers)", 3),
    ("barrier", "What gets in the way (barriers)", 3),
    ("mdt-characteristic", "Working as one team (MDT characteristics)", 3),
    ("dilemma", "Dilemmas to discuss", 2),
]
# Where links point when no base is given: the learning site as `kb serve` runs it.
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
MAX_PLACES = 3  # places an item cites (its first sources); its page lists the rest
APPROACH_WORDS = 80  # "the approach in brief": its first sentences, up to about this many words
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_WORD = re.compile(r"\w+")
# A plain http(s) address: nothing that could end a link or a quoted attribute early.
_BASE_URL = re.compile(r"https?://[^\s/?#\"'<>()\\]+(/[^\s?#\"'<>()\\]*)?")
_AIM_LABELS = {key: label for _, key, label in AIMS} | {name: label for name, _, label in AIMS}


def assemble(
    kb: KnowledgeBase,
    challenge: str,
    filters: Mapping[str, str | None] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    on: dt.date | None = None,
    vectors: npt.NDArray[np.float32] | None = None,
) -> Brief:
    """The brief for ``challenge``. ``filters`` (theme, enabler, barrier, kind, as for
    ``kb find``) narrow the case studies; the lessons after them are chosen from every
    entry of their type. ``on`` is the date it carries (today if not given); ``vectors``
    the embeddings of ``kb.dense_texts(challenge)``, if the caller has them (the API
    embeds in batches)."""
    text = check_challenge(challenge)
    base = check_base_url(base_url)
    given = {name: value for name, value in (filters or {}).items() if value is not None}
    content = kb.content
    sources = _Sources(content.documents)
    if vectors is None:
        vectors = kb.searcher().encoder.encode(kb.dense_texts(text))  # once, for all six searches
    nearest: list[float] = []  # the best relevance of each search, for kb gaps
    found = _close(_searched(kb.find(text, MAX_CASE_STUDIES, "case-study", "hybrid", None, None, vectors, False, **given), nearest), content)
    case_studies = [_case_study(entry, r, content, base, sources) for entry, r in found if isinstance(entry, CaseStudy)]
    sections = []
    for entry_type, heading, most in SECTIONS:
        chosen = _close(_searched(kb.find(text, most, entry_type, vectors=vectors, count_gap=False), nearest), content)
        sections.append(Section(entry_type, heading, [_item(entry, r, base, sources) for entry, r in chosen]))
    pages = [Page(c.title, c.url) for c in case_studies] + [Page(i.title, i.url) for s in sections for i in s.items]
    if not pages:  # the challenge, counted once for kb gaps (not each of its searches)
        kb.note_gap(text, max(nearest, default=0.0))
    return Brief(
        challenge=text,
        date=(on or dt.date.today()).isoformat(),
        content_version=content_version(content),
        filters=given,
        base_url=base,
        case_studies=case_studies,
        sections=sections,
        sources=sources.listed(),
        pages=pages,
        nothing_close=not pages,
    )


def _searched(results: list[Result], nearest: list[float]) -> list[Result]:
    nearest.extend(r.relevance for r in results)
    return results


def _close(results: list[Result], content: Content) -> list[tuple[EntryBase, Result]]:
    """The results close enough to cite, each with its entry (one the index still holds
    but the content no longer does is passed over, never a crash)."""
    return [(entry, r) for r in results if r.close and (entry := content.entries.get(r.id)) is not None]


# --- checks ------------------------------------------------------------------------------


def check_challenge(challenge: str) -> str:
    """The challenge with its spaces collapsed; :class:`QueryError` if it is empty, too
    long or holds a character kb refuses (named by code point, never echoed)."""
    bad = forbidden_character(challenge)
    if bad is not None:
        raise QueryError("q", f"the challenge holds a character kb refuses: {bad[1]}")
    return check_query(challenge, 1)


def check_base_url(base_url: str) -> str:
    """``base_url`` ending in one slash, or :class:`QueryError` if it is not a plain
    http(s) address: every link in a brief starts with it."""
    if not _BASE_URL.fullmatch(base_url):
        raise QueryError("base_url", f"'{base_url[:200]}' is not an http:// or https:// address of the learning site (e.g. https://kb.example.org/)")
    return base_url.rstrip("/") + "/"


def content_version(content: Content) -> ContentVersion:
    """A fingerprint of every published entry and source document, and the latest date
    an entry was added or changed."""
    published = sorted(content.published(), key=lambda e: e.id)
    digest = hashlib.sha256()
    for entry in published:
        digest.update(f"{entry.id}:{entry_hash(entry)}\n".encode())
    for document in sorted(content.documents.values(), key=lambda d: d.id):
        digest.update(f"{document.id}:{entry_hash(document)}\n".encode())
    latest = max((e.updated or e.added for e in published), default=None)
    return ContentVersion(digest.hexdigest()[:12], latest.isoformat() if latest else "", len(published))


# --- sources -----------------------------------------------------------------------------


def short_title(document: SourceDocument) -> str:
    """'New care models (2017)': the title up to its subtitle, and the year."""
    title = re.split(r" — | – |: ", document.title, maxsplit=1)[0].strip()
    return f"{title} ({document.date[:4]})"


def place(ref: SourceRef) -> str:
    """Where in its document a reference points, short enough to read in a line: a
    section path keeps its part ("Part Two") and its headings, not the part's long title."""
    parts = []
    if ref.page is not None:
        parts.append(f"p{ref.page}")
    if ref.section:
        first, *rest = ref.section.split(" / ")
        parts.append(" / ".join([first.split(" – ")[0].strip(), *rest]) if rest else ref.section)
    if ref.appendix:
        parts.append(f"({ref.appendix})")
    return " ".join(parts)


def _place_order(label: str) -> tuple[int, int, str]:
    """Pages in number order, then sections in the order of their names."""
    page = re.match(r"p(\d+)", label)
    return (0, int(page.group(1)), label) if page else (1, 0, label)


@dataclass
class _Sources:
    """Every document and place cited, so that the brief can list its sources."""

    documents: dict[str, SourceDocument]
    cited: dict[str, set[str]] = field(default_factory=dict)

    def cite(self, refs: Iterable[SourceRef]) -> list[Citation]:
        """One citation per document, its places in the order given, each recorded."""
        places: dict[str, list[str]] = {}
        for ref in refs:
            label = place(ref)
            if label not in places.setdefault(ref.document, []):
                places[ref.document].append(label)
            self.cited.setdefault(ref.document, set()).add(label)
        return [Citation(doc, self._short(doc), "; ".join(labels)) for doc, labels in places.items()]

    def _short(self, document_id: str) -> str:
        document = self.documents.get(document_id)
        return short_title(document) if document else document_id

    def listed(self) -> list[Source]:
        """The documents cited, in the order of content/sources.yaml, with their places."""
        sources: list[Source] = []
        for doc_id, doc in self.documents.items():
            if doc_id not in self.cited:
                continue
            places = sorted(self.cited[doc_id], key=_place_order)
            cautions = [CaveatNote(" ".join(c.text.split()), Citation(doc_id, short_title(doc), place(c.source))) for c in doc.caveats if c.source]
            sources.append(Source(len(sources) + 1, doc_id, doc.title, doc.publisher, doc.date, doc.url, places, cautions))
        return sources


# --- items -------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]


def reason(result: Result) -> Reason:
    """The sentence of the matched passage holding most of the challenge's words (the
    first, if none does): a one-line answer to "why is this here?"."""
    terms = set(result.match_terms)
    candidates = sentences(result.match) or [result.match]
    best = max(candidates, key=lambda s: (len(terms & {w.lower() for w in _WORD.findall(s)}), -candidates.index(s)))
    return Reason(best, part_label(result.match_field), result.match, list(result.match_terms))


def part_label(field_name: str) -> str:
    """'outcomes.cost' -> 'outcomes: cost'; 'metrics' -> 'measured results'."""
    if field_name.startswith("outcomes."):
        return f"outcomes: {_AIM_LABELS.get(field_name.removeprefix('outcomes.'), field_name).lower()}"
    return {"metrics": "measured results"}.get(field_name, field_name)


def in_brief(text: str, words: int = APPROACH_WORDS) -> str:
    """The first sentences of ``text``, up to about ``words`` words (at least one)."""
    chosen: list[str] = []
    count = 0
    for sentence in sentences(text):
        length = len(sentence.split())
        if chosen and count + length > words:
            break
        chosen.append(sentence)
        count += length
    return " ".join(chosen)


def _item(entry: EntryBase, result: Result, base: str, sources: _Sources) -> Item:
    return Item(
        id=entry.id,
        type=entry.type,
        title=entry.title,
        url=base + entry_url(entry.type, entry.id),
        summary=" ".join(entry.summary.split()),
        reason=reason(result),
        citations=sources.cite(entry.sources[:MAX_PLACES]),
        more_places=max(0, len(entry.sources) - MAX_PLACES),
        score=result.score,
        similarity=result.dense or 0.0,
        question=entry.question if isinstance(entry, Dilemma) else None,
        mitigations=list(entry.mitigations) if isinstance(entry, Barrier) else [],
    )


def _case_study(case: CaseStudy, result: Result, content: Content, base: str, sources: _Sources) -> CaseStudyItem:
    evidence = evidence_of(case, content.documents)
    first = case.sources[0]
    citations = sources.cite(case.sources[:MAX_PLACES])
    rows = [
        ResultRow(
            measure=m.measure,
            figure=m.figure(),
            as_reported=m.as_reported,
            period=m.period,
            basis=basis(m),
            aim=_AIM_LABELS[m.aim] if m.aim else None,
            citation=sources.cite([m.source or first])[0],
        )
        for m in case.metrics
    ]
    return CaseStudyItem(
        id=case.id,
        title=case.title,
        organisation=case.organisation,
        place=case.place,
        url=base + entry_url(case.type, case.id),
        summary=" ".join(case.summary.split()),
        approach=in_brief(case.approach),
        outcomes=[Outcome(label, " ".join(text.split())) for name, _, label in AIMS if (text := getattr(case.outcomes, name))],
        results=rows,
        evidence=Evidence(evidence.level, evidence.label, evidence.explanation),
        caveats=_caveats(case, evidence.caveats, content, sources),
        reason=reason(result),
        citations=citations,
        more_places=max(0, len(case.sources) - MAX_PLACES),
        score=result.score,
        similarity=result.dense or 0.0,
    )


def _caveats(case: CaseStudy, caveats: Iterable[Caveat], content: Content, sources: _Sources) -> list[CaveatNote]:
    """The case study's own cautions and its figures', each cited (one without a source
    of its own is in the first source of what it qualifies). The source documents'
    general cautions would repeat under every case study: the Sources list gives them once."""
    from_documents = [c for d in content.documents.values() for c in d.caveats]
    qualifies = [(c, case.sources[0]) for c in case.caveats]
    qualifies += [(c, m.source or case.sources[0]) for m in case.metrics for c in m.caveats]
    notes = []
    for caveat in caveats:
        if caveat in from_documents:
            continue
        ref = caveat.source or next((where for c, where in qualifies if c == caveat), case.sources[0])
        notes.append(CaveatNote(" ".join(caveat.text.split()), sources.cite([ref])[0]))
    return notes
