"""Answering a query against a built index: dense, BM25, and their fusion.

Filters select the allowed entries *before* ranking (faiss searches only their passages;
BM25 scores are masked), so ``k=5`` with a filter still returns 5 when 5 exist.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from kb.search import fusion
from kb.errors import QueryError
from kb.search.index import query_tokens, stemmer

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
MAX_QUERY_CHARS = 1000
MAX_K = 100
# BM25 candidates passed to fusion. All of them below this many entries (every real
# collection so far); past it, only the best, so a query stays fast at 100k entries.
BM25_CANDIDATES = 1000
# Chosen by `kb eval` on tests/eval/queries.yaml (see README): min-max fusion with dense
# and BM25 weighted equally beat RRF (k=60 and k=10) and either ranker alone.
FUSION = {"method": "weighted", "dense_weight": 0.5, "rrf_k": 10.0}


@dataclass
class Result:
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_query(query: str, k: int) -> str:
    text = " ".join(query.split())
    if not text:
        raise QueryError("q", "the query is empty: type the challenge you want case studies for")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError("q", f"the query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}")
    if not 1 <= k <= MAX_K:
        raise QueryError("k", f"k must be between 1 and {MAX_K}, got {k}")
    return text


class Searcher:
    """A loaded index version, ready for queries (load once, query many times)."""

    def __init__(self, version_dir: Path, encoder: Any):
        import bm25s
        import faiss

        self.manifest = json.loads((version_dir / "manifest.json").read_text())
        self.records: list[dict[str, Any]] = json.loads((version_dir / "records.json").read_text())
        self.position = {r["id"]: i for i, r in enumerate(self.records)}
        raw_passages = json.loads((version_dir / "passages.json").read_text())
        self.passage_entry = np.array([self.position[p["entry_id"]] for p in raw_passages], dtype=np.int64)
        self.passage_text = [p["text"] for p in raw_passages]
        self.passage_field = [p["field"] for p in raw_passages]
        self.rows_of: list[list[int]] = [[] for _ in self.records]
        for row, owner in enumerate(self.passage_entry):
            self.rows_of[owner].append(row)
        self.dense = faiss.read_index(str(version_dir / "dense.faiss"))
        self.vectors = np.load(version_dir / "vectors.npy", mmap_mode="r")  # for choosing "why it matched"
        self.bm25 = bm25s.BM25.load(str(version_dir / "bm25"), show_progress=False)
        self.encoder = encoder
        self.faiss = faiss
        self._word_stems: dict[int, list[tuple[str, str]]] = {}
        self._allowed: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._selectors: dict[int, Any] = {}  # keyed by the address of a cached rows array

    def __len__(self) -> int:
        return len(self.records)

    # --- choosing the allowed entries ------------------------------------------------

    def allowed(self, entry_type: str | None, filters: dict[str, str | None]) -> np.ndarray:
        """Indices of entries of ``entry_type`` ('all'/None = any) matching every filter."""
        return self._selection(entry_type, filters)[0]

    def passage_rows(self, entry_type: str | None, filters: dict[str, str | None]) -> np.ndarray:
        """Rows of the allowed entries' passages, for faiss's selector."""
        return self._selection(entry_type, filters)[1]

    def _selection(self, entry_type: str | None, filters: dict[str, str | None]) -> tuple[np.ndarray, np.ndarray]:
        # The index is read-only, so a selection is worked out once per type and filters.
        key = (entry_type, tuple(sorted((k, v) for k, v in filters.items() if v is not None)))
        if key not in self._allowed:
            if len(self._allowed) > 256:
                self._allowed.clear()
                self._selectors.clear()
            keep = [
                i
                for i, record in enumerate(self.records)
                if entry_type in (None, "all", record["type"]) and all(value in record["facets"].get(name, []) for name, value in key[1])
            ]
            allowed = np.array(keep, dtype=np.int64)
            rows = np.concatenate([np.asarray(self.rows_of[i], dtype=np.int64) for i in keep]) if keep else np.array([], dtype=np.int64)
            self._allowed[key] = (allowed, rows)
            if 0 < len(rows) < self.dense.ntotal:  # faiss's selector, built once too
                self._selectors[rows.ctypes.data] = self.faiss.SearchParameters(sel=self.faiss.IDSelectorBatch(rows))
        return self._allowed[key]

    # --- the two rankers -------------------------------------------------------------

    def dense_scores(self, vector: np.ndarray, allowed: np.ndarray, rows: np.ndarray, k: int) -> tuple[dict[int, float], dict[int, int]]:
        """Entry → best passage cosine, for the top entries; and entry → that passage."""
        if len(rows) == 0:
            return {}, {}
        params = None
        if len(rows) < self.dense.ntotal:
            params = self._selectors.get(rows.ctypes.data) or self.faiss.SearchParameters(sel=self.faiss.IDSelectorBatch(rows))
        wanted = min(len(rows), max(64, k * 16))
        while True:
            sims, ids = self.dense.search(vector.reshape(1, -1), wanted, params=params)
            best: dict[int, float] = {}
            where: dict[int, int] = {}
            for sim, row in zip(sims[0], ids[0]):
                if row < 0:
                    continue
                owner = int(self.passage_entry[row])
                if owner not in best:  # results come best first: the first is the max
                    best[owner], where[owner] = float(sim), int(row)
            if len(best) >= min(k, len(allowed)) or wanted >= len(rows):
                return best, where
            wanted = min(len(rows), wanted * 4)

    def bm25_scores(self, terms: list[str], allowed: np.ndarray, limit: int = BM25_CANDIDATES) -> dict[int, float]:
        """Entry → BM25 score for the best ``limit`` allowed entries with any query word."""
        tokens = [t for t in terms if t in self.bm25.vocab_dict]
        if not tokens or len(allowed) == 0:
            return {}
        scores = self.bm25.get_scores(tokens)[allowed]
        hits = np.flatnonzero(scores > 0)
        if len(hits) > limit:
            hits = hits[np.argpartition(-scores[hits], limit)[:limit]]
        return {int(allowed[j]): float(scores[j]) for j in hits}

    # --- answering -------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 5,
        entry_type: str | None = "case-study",
        filters: dict[str, str | None] | None = None,
        mode: str = "hybrid",
        fusion_config: dict[str, Any] | None = None,
        vector: np.ndarray | None = None,
    ) -> list[Result]:
        """Rank entries for ``query``; ``vector`` is its embedding if already computed."""
        text = check_query(query, k)
        if mode not in MODES:
            raise QueryError("mode", f"unknown mode '{mode}'; expected one of {', '.join(MODES)}")
        allowed, rows = self._selection(entry_type, filters or {})
        config = fusion_config or FUSION
        terms = query_tokens(text)
        dense: dict[int, float] = {}
        sparse: dict[int, float] = {}
        if mode in ("dense", "hybrid"):
            if vector is None:
                vector = self.encoder.encode([text])[0]
            dense, _ = self.dense_scores(vector, allowed, rows, k if mode == "dense" else max(k, 50))
        if mode in ("bm25", "hybrid"):
            sparse = self.bm25_scores(terms, allowed)
        if mode == "dense":
            combined = {str(i): s for i, s in dense.items()}
        elif mode == "bm25":
            combined = {str(i): s for i, s in sparse.items()}
        elif config["method"] == "rrf":
            combined = fusion.rrf([{str(i): s for i, s in dense.items()}, {str(i): s for i, s in sparse.items()}], k=config["rrf_k"])
        else:
            w = config["dense_weight"]
            combined = fusion.weighted([{str(i): s for i, s in dense.items()}, {str(i): s for i, s in sparse.items()}], [w, 1 - w])
        ranked = sorted(combined.items(), key=lambda item: (-item[1], int(item[0])))[:k]
        return [self._result(int(i), score, self.why(int(i), terms, vector), terms, dense.get(int(i)), sparse.get(int(i))) for i, score in ranked]

    def why(self, i: int, terms: list[str], vector: np.ndarray | None) -> int:
        """The passage to show as why entry ``i`` matched: the one holding most of the
        query's words, then the closest in meaning. (Every passage embeds with the entry's
        title, so by meaning alone a title match makes any passage look best.)"""
        rows = self.rows_of[i]
        closeness = self.vectors[rows] @ vector if vector is not None else np.zeros(len(rows))
        best = max(range(len(rows)), key=lambda n: (len(self.matched_terms(rows[n], terms)), float(closeness[n]), -n))
        return rows[best]

    def similar(self, entry_id: str, k: int = 5, entry_type: str | None = "case-study") -> list[Result]:
        """Entries most like ``entry_id``: its passages' mean vector against every passage."""
        if not 1 <= k <= MAX_K:
            raise QueryError("k", f"k must be between 1 and {MAX_K}, got {k}")
        own = self.position[entry_id]
        vectors = np.vstack([self.dense.reconstruct(int(r)) for r in self.rows_of[own]])
        centre = vectors.mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        allowed, rows = self._selection(entry_type, {})
        others = allowed != own
        own_rows = set(self.rows_of[own])
        rows = np.array([r for r in rows if r not in own_rows], dtype=np.int64)
        dense, where = self.dense_scores(centre.astype(np.float32), allowed[others], rows, k)
        ranked = sorted(dense.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [self._result(i, s, where[i], [], s, None) for i, s in ranked]

    def _result(self, i: int, score: float, row: int, terms: list[str], dense: float | None, sparse: float | None) -> Result:
        record = self.records[i]
        return Result(
            id=record["id"],
            type=record["type"],
            title=record["title"],
            organisation=record.get("organisation"),
            score=round(float(score), 4),
            url=record["url"],
            match=self.passage_text[row],
            match_field=self.passage_field[row],
            match_terms=self.matched_terms(row, terms),
            summary=record["summary"],
            dense=None if dense is None else round(dense, 4),
            bm25=None if sparse is None else round(sparse, 4),
        )

    def matched_terms(self, row: int, stems: list[str]) -> list[str]:
        """Words of passage ``row`` that share a stem with the query (for highlighting)."""
        if not stems:
            return []
        if row not in self._word_stems:  # stemmed once per passage, on first use
            self._word_stems[row] = word_stems(self.passage_text[row])
        wanted = set(stems)
        return [word for word, stem in self._word_stems[row] if stem in wanted]


_WORD = re.compile(r"(?u)\b\w\w+\b")  # the token pattern bm25s uses


def word_stems(text: str) -> list[tuple[str, str]]:
    """Each distinct word of ``text`` (lower case, sorted) with its stem."""
    words = sorted(set(_WORD.findall(text.lower())))
    return list(zip(words, stemmer().stemWords(words)))
