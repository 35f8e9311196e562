"""Answering a query against a loaded index version.

The Searcher only puts the parts together: the version's files (``version``), the
filters (``filters``), the two rankers (``dense``, ``bm25``), the fusion strategy chosen
when it is made (``fusion``) and the explanation of each match (``explain``).
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt

from kb.errors import QueryError
from kb.search.bm25 import Bm25Ranker, query_tokens
from kb.search.dense import DenseRanker
from kb.search.encoder import Encoder
from kb.search.explain import Explainer, Result
from kb.search.filters import Selection, Selections
from kb.search.fusion import DEFAULT, Fusion
from kb.search.version import IndexVersion, Manifest, Record

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
MAX_QUERY_CHARS = 1000
MAX_K = 100
# Dense entries a hybrid query passes to fusion, at least: an entry BM25 ranks high needs
# its dense score too, and min-max normalisation should not hinge on a small k.
FUSION_CANDIDATES = 50


def check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise QueryError("k", f"k must be between 1 and {MAX_K}, got {k}")


def check_query(query: str, k: int) -> str:
    """The query with its whitespace collapsed, or a :class:`QueryError` naming the field."""
    text = " ".join(query.split())
    if not text:
        raise QueryError("q", "the query is empty: type the challenge you want case studies for")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError("q", f"the query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
    check_k(k)
    return text


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise QueryError("mode", f"unknown mode '{mode}'; expected one of {', '.join(MODES)}")


def top(scores: Mapping[int, float], k: int) -> list[tuple[int, float]]:
    """The ``k`` best entries, ties broken by index so results never vary between runs."""
    return heapq.nsmallest(k, scores.items(), key=lambda item: (-item[1], item[0]))


class Searcher:
    """A loaded index version, ready for queries (load once, query many times)."""

    def __init__(self, version: IndexVersion, encoder: Encoder, fusion: Fusion = DEFAULT):
        vectors = version.vectors(mmap=True)  # only the rows of a few results are read
        self.version = version
        self.encoder = encoder
        self.fusion = fusion
        self.dense = DenseRanker(version.dense_index(), version.passage_owner, vectors)
        self.bm25 = Bm25Ranker(version.bm25_index())
        self.explainer = Explainer(version.records, version.passages, version.rows_of, vectors)
        self.selections = Selections(version.records, version.rows_of, self.dense.restrict)

    def using(self, fusion: Fusion) -> Searcher:
        """This searcher with another fusion strategy, sharing everything loaded: how
        ``kb eval --variants`` compares strategies without loading the index again."""
        other = copy.copy(self)
        other.fusion = fusion
        return other

    @property
    def manifest(self) -> Manifest:
        return self.version.manifest

    @property
    def records(self) -> list[Record]:
        return self.version.records

    @property
    def position(self) -> dict[str, int]:
        return self.version.position

    def __len__(self) -> int:
        return len(self.version.records)

    def search(
        self,
        query: str,
        k: int = 5,
        entry_type: str | None = "case-study",
        filters: Mapping[str, str | None] | None = None,
        mode: str = "hybrid",
        vector: npt.NDArray[np.float32] | None = None,
    ) -> list[Result]:
        """Rank entries for ``query``; ``vector`` is its embedding if already computed."""
        text = check_query(query, k)
        check_mode(mode)
        selection = self.selections.get(entry_type, filters or {})
        terms = query_tokens(text)
        dense: dict[int, float] = {}
        bm25: dict[int, float] = {}
        if mode != "bm25":
            if vector is None:
                vector = self.encoder.encode([text])[0]
            dense, _ = self.dense.scores(vector, selection, k if mode == "dense" else max(k, FUSION_CANDIDATES))
        if mode != "dense":
            bm25 = self.bm25.scores(terms, selection.entries)
        ranked = top(self._combine(mode, dense, bm25), k)
        explain = self.explainer
        return [explain.result(i, score, explain.passage_for(i, terms, vector), terms, dense.get(i), bm25.get(i)) for i, score in ranked]

    def _combine(self, mode: str, dense: dict[int, float], bm25: dict[int, float]) -> Mapping[int, float]:
        if mode == "dense":
            return dense
        if mode == "bm25":
            return bm25
        return self.fusion.fuse(dense, bm25)

    def similar(self, entry_id: str, k: int = 5, entry_type: str | None = "case-study") -> list[Result]:
        """Entries most like ``entry_id``: its passages' mean vector against every passage."""
        check_k(k)
        own = self.position[entry_id]
        centre = self.dense.centre(self.version.rows_of[own])
        dense, where = self.dense.scores(centre, self._without(self.selections.get(entry_type, {}), own), k)
        return [self.explainer.result(i, score, where[i], [], score, None) for i, score in top(dense, k)]

    def _without(self, selection: Selection, entry: int) -> Selection:
        """``selection`` less one entry and its passages."""
        rows = selection.rows[~np.isin(selection.rows, self.version.rows_of[entry])]
        return Selection(selection.entries[selection.entries != entry], rows, self.dense.restrict(rows))
