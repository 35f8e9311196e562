"""Why an entry matched: which passage to show, and which of its words the query shares.

Kept apart from ranking: nothing here changes a score or an order, it only describes a
result the rankers already chose.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.search.bm25 import stemmer
from kb.search.query import Expansion
from kb.search.relevance import is_close, relevance
from kb.search.version import Record, StoredPassage


@dataclass
class Result:
    """One search result: the items of `kb find --json` and the API's results."""

    id: str
    type: str
    title: str
    organisation: str | None
    score: float
    url: str
    match: str
    match_field: str
    match_terms: list[str] = field(default_factory=list)
    summary: str = ""
    dense: float | None = None
    bm25: float | None = None
    relevance: float = 0.0  # 0..1, comparable across queries and modes (kb.search.relevance)
    close: bool = False  # relevance at or above the threshold of a close match
    evidence: str | None = None  # a case study's evidence level (kb.evidence.LEVELS), else None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """A search's results, and what it says about the query: how the glossary expanded it,
    the corrected query ("did you mean"), and whether any result is close."""

    results: list[Result]
    expansions: list[Expansion] = field(default_factory=list)
    did_you_mean: str | None = None

    @property
    def no_close_match(self) -> bool:
        return not any(r.close for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """The fields `kb find --json` and the API add beside ``query`` and ``mode``."""
        return {
            "results": [r.to_json() for r in self.results],
            "expansions": [e.to_json() for e in self.expansions],
            "did_you_mean": self.did_you_mean,
            "no_close_match": self.no_close_match,
        }


_WORD = re.compile(r"(?u)\b\w\w+\b")  # the token pattern bm25s uses


def word_stems(text: str) -> list[tuple[str, str]]:
    """Each distinct word of ``text`` (lower case, sorted) with its stem."""
    words = sorted(set(_WORD.findall(text.lower())))
    return list(zip(words, stemmer().stemWords(words), strict=True))


class Explainer:
    """Describes results over one index version's records and passages."""

    def __init__(self, records: list[Record], passages: list[StoredPassage], rows_of: list[list[int]], vectors: npt.NDArray[np.float32]):
        self.records = records
        self.passages = passages
        self.rows_of = rows_of
        self.vectors = vectors
        self._word_stems: dict[int, list[tuple[str, str]]] = {}  # stemmed once per passage, on first use

    def closeness(self, entry: int, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Each of ``entry``'s passages' best cosine with any of the query's vectors."""
        sims: npt.NDArray[np.float32] = (self.vectors[self.rows_of[entry]] @ vectors.T).max(axis=1)
        return sims

    def passage_for(self, entry: int, terms: list[str], vectors: npt.NDArray[np.float32] | None) -> int:
        """The passage row to show as why ``entry`` matched: the one holding most of the
        query's words, then the closest in meaning. (Every passage embeds with the entry's
        title, so by meaning alone a title match makes any passage look best.)"""
        rows = self.rows_of[entry]
        closeness = self.closeness(entry, vectors) if vectors is not None else np.zeros(len(rows))
        best = max(range(len(rows)), key=lambda n: (len(self.matched_terms(rows[n], terms)), float(closeness[n]), -n))
        return rows[best]

    def matched_terms(self, row: int, stems: list[str]) -> list[str]:
        """Words of passage ``row`` that share a stem with the query (for highlighting)."""
        if not stems:
            return []
        if row not in self._word_stems:
            self._word_stems[row] = word_stems(self.passages[row]["text"])
        wanted = set(stems)
        return [word for word, stem in self._word_stems[row] if stem in wanted]

    def result(self, entry: int, score: float, row: int, terms: list[str], dense: float | None, bm25: float | None, vectors: npt.NDArray[np.float32]) -> Result:
        """Entry ``entry`` as a result, showing passage ``row``; scores rounded for display.
        Its relevance is read from its closest passage to the query's ``vectors``."""
        record = self.records[entry]
        near = relevance(float(self.closeness(entry, vectors).max()))
        passage = self.passages[row]
        return Result(
            id=record["id"],
            type=record["type"],
            title=record["title"],
            organisation=record.get("organisation"),
            score=round(float(score), 4),
            url=record["url"],
            match=passage["text"],
            match_field=passage["field"],
            match_terms=self.matched_terms(row, terms),
            summary=record["summary"],
            dense=None if dense is None else round(dense, 4),
            bm25=None if bm25 is None else round(bm25, 4),
            relevance=round(near, 4),
            close=is_close(near),
            evidence=record.get("evidence"),
        )
