"""The one object that owns the knowledge: content, index and search.

The CLI, the API and the site hook each make a :class:`KnowledgeBase` and call its
methods, so a result is computed one way whichever door it leaves by.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb import gaps as gap_log
from kb.entry_types import ENTRY_TYPES, entry_url
from kb.errors import ContentInvalid, ContentNotFound, IndexMissing, KbError, Problem, UnknownEntry, UnknownValue
from kb.search import index
from kb.search.encoder import DEFAULT_MODEL
from kb.search.explain import Answer, Result
from kb.search.searcher import check_query

if TYPE_CHECKING:  # content and models cost ~0.2 s to import: the query path skips them
    import datetime as dt

    from kb.brief.model import Brief
    from kb.content import Content
    from kb.models import EntryBase
    from kb.search.encoder import Encoder
    from kb.search.searcher import Searcher
    from kb.search.similarity import SimilarPair
    from kb.search.version import IndexVersion


STATUS_NOTICES = {
    "missing": "no index yet: building it",
    "stale": "content changed since the index was built: refreshing it",
    "outdated": "the index was built by a version of kb that indexed differently: rebuilding it",
}


def find_content_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--content`` if given, else ``$KB_CONTENT``, else ``./content``.

    Never next to the installed package: the content belongs to the project the user is in.
    """
    chosen = explicit or os.environ.get("KB_CONTENT") or "content"
    path = Path(chosen).expanduser().resolve()
    if not path.is_dir():
        raise ContentNotFound(f"no content folder at {path}: run kb from the project root, or say where it is with --content DIR or KB_CONTENT")
    return path


def check_type(entry_type: str | None, *, allow_all: bool = True) -> str | None:
    if entry_type is None or (allow_all and entry_type == "all") or entry_type in ENTRY_TYPES:
        return entry_type
    raise UnknownValue("type", entry_type, ENTRY_TYPES + (["all"] if allow_all else []))


def summary_json(entry: EntryBase) -> dict[str, Any]:
    """The short, stable JSON form used by `kb list --json` and the API's listings."""
    item: dict[str, Any] = {"id": entry.id, "type": entry.type, "title": entry.title}
    organisation = getattr(entry, "organisation", None)
    if isinstance(organisation, str):
        item["organisation"] = organisation
    item["summary"] = entry.summary
    item["url"] = entry_url(entry.type, entry.id)
    return item


class KnowledgeBase:
    """Validated content plus, on demand, its search index.

    Content is read lazily: a query against a fresh index needs only the index, so a
    cold ``kb find`` does not parse every YAML file.
    """

    def __init__(self, root: Path, data_dir: Path, model: str | None = None, record_gaps: bool | None = None, content: Content | None = None):
        """``content``: already loaded and validated (the publisher has just checked it)."""
        self.root = root
        self.data_dir = data_dir
        self.model = model or os.environ.get("KB_MODEL") or DEFAULT_MODEL
        # Count searches that found nothing close (kb.gaps), unless KB_GAPS=off or told not to.
        self.record_gaps = gap_log.enabled_by_env() if record_gaps is None else record_gaps
        self._content: Content | None = content
        self._searcher: Searcher | None = None

    @classmethod
    def open(
        cls,
        content_dir: str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        model: str | None = None,
        record_gaps: bool | None = None,
    ) -> KnowledgeBase:
        root = find_content_dir(content_dir)
        return cls(root, find_data_dir(root, data_dir), model, record_gaps)

    @property
    def content(self) -> Content:
        """The content, loaded and validated on first use; :class:`ContentInvalid` if not clean."""
        if self._content is None:
            from kb.content import load_content

            content, problems = load_content(self.root)
            if problems:
                raise ContentInvalid(problems)
            self._content = content
        return self._content

    def reload(self) -> None:
        """Forget the loaded content after kb wrote an entry, so the next use reads it anew."""
        self._content = None

    @staticmethod
    def validate(content_dir: str | os.PathLike[str] | None = None) -> list[Problem]:
        from kb.content import load_content

        return load_content(find_content_dir(content_dir))[1]

    @staticmethod
    def check(
        content_dir: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None
    ) -> tuple[list[Problem], list[SimilarPair], list[str]]:
        """What `kb validate` reports: every problem, then pairs of entries so alike that one
        may duplicate the other, and notes: links written on one side only (a warning, as
        both sides still show on the site), then what was not compared. The duplicate check
        is advisory: it uses the index if there is one (never builds it, never needs torch)
        and nothing it meets can turn into a problem."""
        from kb.content import load_content, one_sided_links
        from kb.search.similarity import similar_pairs

        root = find_content_dir(content_dir)
        content, problems = load_content(root)
        warnings = [f"warning: {link.message(content)}" for link in one_sided_links(content)]
        try:
            pairs, notes = similar_pairs(content, find_data_dir(root, data_dir))
        except Exception as exc:  # noqa: BLE001 (e.g. a damaged index: say so, but validation stands)
            return problems, [], warnings + [f"entries were not compared for duplicates: {type(exc).__name__}: {exc}"]
        return problems, pairs, warnings + notes

    # --- reading entries -------------------------------------------------------------

    def entries(self, entry_type: str | None = None, **filters: str | None) -> list[EntryBase]:
        """Published entries, optionally of one type and matching taxonomy filters."""
        from kb.search.passages import facets

        check_type(entry_type)
        chosen = [e for e in self.content.published() if entry_type in (None, "all", e.type)]
        for name, value in filters.items():
            if value is None:
                continue
            self.check_filter(name, value)
            chosen = [e for e in chosen if value in facets(e, self.content)[name]]
        return sorted(chosen, key=lambda e: (ENTRY_TYPES.index(e.type), e.title.lower()))

    def get(self, entry_id: str) -> EntryBase:
        entry = self.content.entries.get(entry_id)
        if entry is None or entry.status == "draft":
            raise UnknownEntry(entry_id, [e.id for e in self.content.published()])
        return entry

    def filter_choices(self, name: str) -> list[str]:
        from kb.search.passages import filter_vocabulary

        return filter_vocabulary(self.content)[name]

    def check_filter(self, name: str, value: str) -> None:
        choices = self.filter_choices(name)
        if value not in choices:
            raise UnknownValue(name, value, choices)

    # --- the index -------------------------------------------------------------------

    def index_status(self) -> str:
        """``missing``, ``fresh`` or ``stale``."""
        return index.freshness(self.data_dir, self.root)

    def build_index(self, progress: index.Progress | None = None, force: bool = False) -> index.BuildReport:
        from kb.search.encoder import document_encoder

        onnx = index.onnx_dir(self.data_dir, self.model)
        report = index.build(self.content, self.data_dir, lambda: document_encoder(onnx, self.model), self.model, progress, force)
        self._searcher = None
        return report

    def searcher(self, progress: index.Progress | None = None, notice: Callable[[str], None] | None = None) -> Searcher:
        """The loaded index, refreshed first if the content changed since it was built.

        Freshness is checked when the index is loaded, not on every query: a server loads
        it once, and changes made through this object (``build_index``) reload it.
        """
        if self._searcher is not None:
            return self._searcher
        status = self.index_status()
        if status != "fresh":
            if notice:
                notice(STATUS_NOTICES[status])
            self.build_index(progress)
        self._searcher = self._load_searcher()
        return self._searcher

    def use_index(self, version: IndexVersion, encoder: Encoder | None = None) -> Searcher:
        """Serve from this index version (the one the publisher named), not CURRENT;
        ``encoder``: a query encoder already loaded, to share."""
        from kb.search.searcher import Searcher

        self._searcher = Searcher(version, encoder or self._query_encoder(version))
        return self._searcher

    def _load_searcher(self) -> Searcher:
        from kb.search.searcher import Searcher
        from kb.search.version import IndexVersion

        version = IndexVersion.current(self.data_dir)
        if version is None:
            raise IndexMissing(f"no index in {self.data_dir}: run `kb index`")
        return Searcher(version, self._query_encoder(version))  # the encoder first: it loads in a thread

    def _query_encoder(self, version: IndexVersion) -> Encoder:
        from kb.search.encoder import document_encoder

        return document_encoder(version.onnx_dir, version.manifest["model"])  # without an export: slower to start, same vectors

    # --- search ----------------------------------------------------------------------

    def find(
        self,
        query: str,
        k: int = 5,
        entry_type: str | None = "case-study",
        mode: str = "hybrid",
        progress: index.Progress | None = None,
        notice: Callable[[str], None] | None = None,
        vectors: Any = None,
        count_gap: bool = True,
        **filters: str | None,
    ) -> list[Result]:
        """The entries most like ``query``: the results of :meth:`answer`."""
        return self.answer(query, k, entry_type, mode, progress, notice, vectors, count_gap, **filters).results

    def answer(
        self,
        query: str,
        k: int = 5,
        entry_type: str | None = "case-study",
        mode: str = "hybrid",
        progress: index.Progress | None = None,
        notice: Callable[[str], None] | None = None,
        vectors: Any = None,
        count_gap: bool = True,
        **filters: str | None,
    ) -> Answer:
        """The entries most like ``query`` (filters narrow the candidates before ranking),
        with the glossary's expansions, a corrected query if a word was unknown, and
        whether anything is close.

        ``vectors`` are the embeddings of :meth:`dense_texts` when the caller computed them
        already (the API embeds concurrent queries in batches). ``count_gap``: False for a
        search that is part of a larger answer (a brief counts its challenge once)."""
        check_query(query, k)
        check_type(entry_type)
        searcher = self.searcher(progress, notice)
        vocabulary = searcher.manifest["vocabulary"]
        for name, value in filters.items():
            if value is not None and value not in vocabulary[name]:
                raise UnknownValue(name, value, vocabulary[name])
        answer = searcher.answer(query, k, entry_type, filters, mode, vectors=vectors)
        if answer.no_close_match and count_gap:
            self.note_gap(query, max((r.relevance for r in answer.results), default=0.0), notice)
        return answer

    def note_gap(self, query: str, best: float, notice: Callable[[str], None] | None = None) -> None:
        """Count a challenge that found nothing close (``best``: the nearest relevance), if
        counting is on. Never fails a search: a damaged or unwritable gaps file is left as
        it is, and said so where someone can see it."""
        if not self.record_gaps:
            return
        try:
            gap_log.record(self.data_dir, query, best)
        except (KbError, OSError) as exc:
            if notice:
                notice(f"the search was not counted in kb gaps: {exc}")

    def gaps(self, limit: int = 20) -> list[gap_log.Gap]:
        """The challenges most often searched without a close answer (kept ``KEEP_DAYS`` days)."""
        return gap_log.most_frequent(self.data_dir, limit)

    def dense_texts(self, query: str) -> list[str]:
        """What :meth:`answer` embeds for ``query``: as typed, then corrected and expanded."""
        return self.searcher().understand(query).dense_texts

    def brief(
        self,
        challenge: str,
        base_url: str | None = None,
        on: dt.date | None = None,
        progress: index.Progress | None = None,
        notice: Callable[[str], None] | None = None,
        vectors: Any = None,
        **filters: str | None,
    ) -> Brief:
        """The evidence brief for a planner's challenge (kb.brief.assemble): case studies,
        tips, enablers, barriers, MDT characteristics and dilemmas chosen by the index,
        each cited. ``filters`` narrow the case studies, as for :meth:`find`; ``vectors``
        are the embeddings of :meth:`dense_texts` when the caller computed them already."""
        from kb.brief.assemble import DEFAULT_BASE_URL, assemble

        self.searcher(progress, notice)  # built or refreshed first, saying so
        return assemble(self, challenge, filters, base_url or DEFAULT_BASE_URL, on, vectors)

    def evaluate(
        self,
        query_file: Path,
        variants: bool = False,
        progress: index.Progress | None = None,
        notice: Callable[[str], None] | None = None,
        off_topic_file: Path | None = None,
    ) -> dict[str, Any]:
        """Search quality per mode and kind of query (and per design alternative) on a
        graded query file; with ``off_topic_file``, how often "no close match" is said
        rightly (off-topic challenges) and wrongly (the graded queries)."""
        from kb.search import evaluate
        from kb.search.passages import bm25_text, passages

        searcher = self.searcher(progress, notice)
        queries = evaluate.load_queries(query_file, set(searcher.position))
        scored = evaluate.evaluate(searcher, queries)
        report: dict[str, Any] = {"queries": len(queries), "modes": scored.modes, "kinds": scored.kinds, "counts": scored.counts}
        if off_topic_file is not None:
            report["honesty"] = evaluate.honesty(searcher, queries, evaluate.load_off_topic(off_topic_file))
        if variants:
            texts = {e.id: f"{e.title}. " + " ".join(p.text for p in passages(e)) for e in self.content.case_studies()}
            bm25_texts = [bm25_text(self.content.entries[r["id"]], self.content) for r in searcher.records]
            report["variants"] = evaluate.design_variants(searcher, queries, texts, bm25_texts)
        return report

    def similar(
        self,
        entry_id: str,
        k: int = 5,
        entry_type: str | None = "case-study",
        progress: index.Progress | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> list[Result]:
        check_type(entry_type)
        searcher = self.searcher(progress, notice)
        if entry_id not in searcher.position:
            raise UnknownEntry(entry_id, list(searcher.position))
        return searcher.similar(entry_id, k, entry_type)


def default_data_dir(content_root: Path) -> Path:
    return content_root.parent / ".kb"


def find_data_dir(content_root: Path, explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--data`` if given, else ``$KB_DATA``, else ``.kb/`` beside the content folder."""
    return Path(explicit or os.environ.get("KB_DATA") or default_data_dir(content_root)).resolve()
