"""What gets indexed for an entry: its passages, its BM25 text and its filter facets.

An entry is split into short passages (title+summary, challenge, approach, each outcome,
detail paragraphs, metrics, …); an entry scores by its best passage. The evaluation
(``kb eval``) showed this beats one vector per entry: long entries blur into an average
and get truncated at 256 tokens. BM25 sees the whole entry as one document, aliases and
taxonomy names included, because a planner's words are spread across its fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args

from kb.content import Content
from kb.entry_types import entry_url
from kb.evidence import evidence_of
from kb.models import CaseStudy, Dilemma, EntryBase, Framework, OrganisationKind
from kb.search.version import Record

MAX_PASSAGE_CHARS = 900  # ~200 tokens: stays under the model's 256-token window


@dataclass(frozen=True)
class Passage:
    entry_id: str
    field: str
    text: str


def _chunks(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Split long text at sentence ends into pieces under ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return [text] if text else []
    pieces, current = [], ""
    for sentence in re.split(r"(?<=[.!?;])\s+", text):
        if current and len(current) + len(sentence) + 1 > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def passages(entry: EntryBase) -> list[Passage]:
    """The entry's passages, each prefixed with its title so it reads alone."""
    fields: list[tuple[str, str | None]] = [("summary", entry.summary)]
    if isinstance(entry, CaseStudy):
        fields += [("challenge", entry.challenge), ("approach", entry.approach)]
        fields += [(f"outcomes.{aim}", getattr(entry.outcomes, aim)) for aim in type(entry.outcomes).model_fields]
        if entry.metrics:
            fields.append(("metrics", "; ".join(f"{m.measure}: {m.as_reported}" for m in entry.metrics)))
        if entry.quote:
            fields.append(("quote", entry.quote))
    fields.append(("detail", entry.detail))
    for extra in ("mitigations",):
        if getattr(entry, extra, None):
            fields.append((extra, "; ".join(getattr(entry, extra))))
    if isinstance(entry, Framework) and entry.items:
        fields.append(("items", "; ".join(f"{i.name}: {i.description or ''}" for i in entry.items)))
    if isinstance(entry, Dilemma) and entry.question:
        fields.append(("question", entry.question))
    out = []
    for field, text in fields:
        for chunk in _chunks(text or ""):
            out.append(Passage(entry.id, field, chunk))
    return out


def passage_input(entry: EntryBase, passage: Passage) -> str:
    """What the encoder sees. Only the summary carries the title: prefixed to every
    passage, the title dominated short passages and dense MRR fell from 0.815 to 0.783
    (hybrid from 0.946 to 0.917) on tests/eval/queries.yaml. Changing this means bumping
    ``kb.search.index.PASSAGE_FORMAT`` so stored vectors are re-embedded."""
    return f"{entry.title}. {passage.text}" if passage.field == "summary" else passage.text


def bm25_text(entry: EntryBase, content: Content) -> str:
    """All of an entry's words, with its organisation, aliases and taxonomy names."""
    words = [entry.title, entry.summary, " ".join(entry.aliases)]
    words += [p.text for p in passages(entry)[1:]]
    if isinstance(entry, CaseStudy):
        words += [entry.organisation, " ".join(entry.partners), entry.place or "", " ".join(entry.vanguard_types).replace("-", " ")]
    for vocab in ("themes", "roles", "population_groups", "care_settings"):
        for term_id in getattr(entry, vocab, None) or []:
            words.append(content.term_name(vocab, term_id))
    return " ".join(w for w in words if w)


def facets(entry: EntryBase, content: Content) -> dict[str, list[str]]:
    """Filter values an entry carries. Links count from either side: a case study is
    "about" an enabler whether it lists the enabler or the enabler lists it."""
    linked_from = content.linking_to(entry.id)
    out: dict[str, list[str]] = {"theme": sorted(entry.themes)}
    for field, entry_type in (("enabler", "enabler"), ("barrier", "barrier")):
        own = set(getattr(entry, field + "s", None) or [])
        own |= {e.id for e in linked_from if e.type == entry_type}
        if entry.type == entry_type:
            own.add(entry.id)
        out[field] = sorted(own)
    kind = getattr(entry, "organisation_kind", None)
    out["kind"] = [kind] if kind else []
    return out


def record(entry: EntryBase, content: Content) -> Record:
    """What search results show about an entry, stored in the index so a query needs no YAML."""
    return {
        "id": entry.id,
        "type": entry.type,
        "title": entry.title,
        "organisation": getattr(entry, "organisation", None),
        "summary": entry.summary,
        "url": entry_url(entry.type, entry.id),
        "facets": facets(entry, content),
        "evidence": evidence_of(entry).level if isinstance(entry, CaseStudy) else None,
    }


def filter_vocabulary(content: Content) -> dict[str, list[str]]:
    """Every value each filter accepts (stored in the index so queries can check them)."""
    return {
        "theme": [t.id for t in content.taxonomy.themes],
        "enabler": sorted(e.id for e in content.published() if e.type == "enabler"),
        "barrier": sorted(e.id for e in content.published() if e.type == "barrier"),
        "kind": list(get_args(OrganisationKind)),
    }
