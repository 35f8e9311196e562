"""Answering a query against a loaded index version.

The Searcher only puts the parts together: the version's files (``version``), the
filters (``filters``), the two rankers (``dense``, ``bm25``), the fusion strategy chosen
when it is made (``fusion``) and the explanation of each match (``explain``).
"""

from __future__ import annotations

import copy
import heapq
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
import numpy.typing as npt

from kb.errors import QueryError
from kb.search.bm25 import Bm25Ranker, query_tokens
from kb.search.dense import DenseRanker
from kb.search.encoder import Encoder
from kb.search.explain import Answer, Explainer, Result
from kb.search.filters import Selection, Selections
from kb.search.fusion import DEFAULT, Fusion
from kb.search.query import QueryReader, Understood
from kb.search.version import IndexVersion, Manifest, Record

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
MAX_QUERY_CHARS = 1000
MAX_K = 100
# Dense entries a hybrid query passes to fusion, at least: an entry BM25 ranks high needs
# its dense score too, and min-max normalisation should not hinge on a small k.
FUSION_CANDIDATES = 50
# From this many allowed entries BM25 scores on a thread beside the query's embedding.
# Measured (bench/bench_search.py): at 100,000 entries scoring takes ~1.3 ms and the
# thread saved 1.1-1.3 ms a hybrid query; at the real content's 91 it takes ~0.05 ms,
# less than handing it to a thread costs.
BM25_ON_THREAD_FROM = 10_000


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
    """The ``k`` best entries, ties broken by index so results never vary between runs.

    Many scores (a big index: BM25 gives up to 1,000 entries): numpy first keeps the
    entries scoring at least the k-th best score (ties included), then those are sorted;
    at 100,000 entries this took ranking a query from ~1.1 ms to ~0.2 ms."""
    if len(scores) <= 8 * k:
        return heapq.nsmallest(k, scores.items(), key=lambda item: (-item[1], item[0]))
    values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    kth = values[np.argpartition(-values, k - 1)[k - 1]]
    entries = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
    kept = np.flatnonzero(values >= kth)
    return heapq.nsmallest(k, zip(entries[kept].tolist(), values[kept].tolist(), strict=True), key=lambda item: (-item[1], item[0]))


class Searcher:
    """A loaded index version, ready for queries (load once, query many times)."""

    def __init__(self, version: IndexVersion, encoder: Encoder, fusion: Fusion = DEFAULT, bm25_thread_from: int = BM25_ON_THREAD_FROM):
        vectors = version.vectors(mmap=True)  # only the rows of a few results are read
        self.version = version
        self.encoder = encoder
        self.fusion = fusion
        self.dense = DenseRanker(version.dense_index(), version.passage_owner, vectors)
        self.bm25 = Bm25Ranker(version.bm25_index())
        self.reader = QueryReader(version.query_data, self.bm25.retriever.vocab_dict)
        self.explainer = Explainer(version.records, version.passages, version.rows_of, vectors)
        self.selections = Selections(version.records, version.rows_of, self.dense.restrict)
        # BM25 scores a big collection on a thread while the query is embedded (see answer).
        self.bm25_thread_from = bm25_thread_from
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb-bm25")
        weakref.finalize(self, self._pool.shutdown, wait=False)  # a republished index drops this searcher

    def using(self, fusion: Fusion | None = None, bm25: Bm25Ranker | None = None) -> Searcher:
        """This searcher with another fusion strategy or BM25 index, sharing everything
        else loaded: how ``kb eval --variants`` compares designs without loading the index again."""
        other = copy.copy(self)
        other.fusion = fusion or self.fusion
        other.bm25 = bm25 or self.bm25
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

    def understand(self, query: str) -> Understood:
        """The query as the rankers will see it: corrected and expanded from the glossary."""
        return self.reader.understand(check_query(query, 1))

    def search(
        self,
        query: str,
        k: int = 5,
        entry_type: str | None = "case-study",
        filters: Mapping[str, str | None] | None = None,
        mode: str = "hybrid",
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> list[Result]:
        """The ranked results of :meth:`answer`, without what it says about the query."""
        return self.answer(query, k, entry_type, filters, mode, vectors).results

    def answer(
        self,
        query: str,
        k: int = 5,
        entry_type: str | None = "case-study",
        filters: Mapping[str, str | None] | None = None,
        mode: str = "hybrid",
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> Answer:
        """Rank entries for ``query``, and say how it was read and whether anything is close.

        ``vectors`` are the embeddings of ``understand(query).dense_texts`` if the caller
        computed them already. Every mode embeds the query: how close a result is (its
        relevance) is read from the dense cosine, so that it means the same in every mode."""
        text = check_query(query, k)
        check_mode(mode)
        understood = self.reader.understand(text)
        selection = self.selections.get(entry_type, filters or {})
        terms = query_tokens(understood.bm25_text)
        # A big collection's BM25 scores on a thread while the query is embedded and searched:
        # onnxruntime and faiss release the GIL, and neither ranker needs the other.
        on_thread = mode != "dense" and len(selection.entries) >= self.bm25_thread_from
        bm25_job = self._pool.submit(self.bm25.scores, terms, selection.entries) if on_thread else None
        if vectors is None:
            vectors = self.encoder.encode(understood.dense_texts)
        dense: dict[int, float] = {}
        bm25: dict[int, float] = {}
        if mode != "bm25":
            forms = len(understood.forms)
            dense = self._dense(vectors[:forms], selection, k if mode == "dense" else max(k, FUSION_CANDIDATES))
            if len(vectors) > forms:
                dense = self._with_sentences(dense, vectors[forms:])
        if mode != "dense":
            bm25 = bm25_job.result() if bm25_job else self.bm25.scores(terms, selection.entries)

        ranked = top(self._combine(mode, dense, bm25), k)
        explain = self.explainer
        results = [explain.result(i, score, explain.passage_for(i, terms, vectors), terms, dense.get(i), bm25.get(i), vectors) for i, score in ranked]
        return Answer(results, understood.expansions, understood.corrected)

    def _dense(self, vectors: npt.NDArray[np.float32], selection: Selection, k: int) -> dict[int, float]:
        """Each entry's best cosine over the query's forms (as typed; corrected and expanded)."""
        best: dict[int, float] = {}
        for vector in vectors:
            scores, _ = self.dense.scores(vector, selection, k)
            for entry, score in scores.items():
                if score > best.get(entry, -1.0):
                    best[entry] = score
        return best

    def _with_sentences(self, dense: dict[int, float], sentences: npt.NDArray[np.float32]) -> dict[int, float]:
        """A long statement: each entry keeps the better of its cosine with the whole
        statement and its best cosine with any one sentence, so the sentence that names the
        problem is not drowned by the ones around it. (bench/long_queries.py: the mean
        over sentences, and BM25 by sentence, did worse.)"""
        out = {}
        for entry, whole in dense.items():
            per_sentence = self.explainer.vectors[self.version.rows_of[entry]] @ sentences.T
            out[entry] = max(whole, float(per_sentence.max()))
        return out

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
        return [self.explainer.result(i, score, where[i], [], score, None, centre.reshape(1, -1)) for i, score in top(dense, k)]

    def _without(self, selection: Selection, entry: int) -> Selection:
        """``selection`` less one entry and its passages."""
        rows = selection.rows[~np.isin(selection.rows, self.version.rows_of[entry])]
        return Selection(selection.entries[selection.entries != entry], rows, self.dense.restrict(rows))
