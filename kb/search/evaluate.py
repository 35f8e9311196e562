"""Search quality on a query file with graded relevance: hit@1/3/5, MRR, nDCG@5.

``evaluate`` scores the three shipped modes side by side. ``design_variants`` also
scores the alternatives the design was chosen over (one vector per entry, unstemmed
BM25, reciprocal rank fusion with k=60 and k=10, other fusion weights), so the choices
in ``kb.search.fusion.DEFAULT`` and ``kb.search.passages`` can be re-checked whenever content changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb import documents
from kb.search.encoder import Encoder
from kb.search.fusion import ReciprocalRank, WeightedMinMax
from kb.search.searcher import Searcher

K = 5


class EvalFileError(ValueError):
    """The query file is missing or malformed."""


@dataclass
class Query:
    text: str
    relevant: dict[str, int]  # entry id → grade (3 the answer, 1 partly relevant)


@dataclass
class Scores:
    hit1: float
    hit3: float
    hit5: float
    mrr: float
    ndcg5: float

    @classmethod
    def of(cls, runs: list[tuple[list[str], dict[str, int]]]) -> Scores:
        n = len(runs) or 1
        hits = {c: sum(any(i in rel for i in ranked[:c]) for ranked, rel in runs) / n for c in (1, 3, 5)}
        mrr = sum(next((1 / r for r, i in enumerate(ranked, 1) if i in rel), 0.0) for ranked, rel in runs) / n
        return cls(hits[1], hits[3], hits[5], mrr, sum(ndcg(ranked, rel) for ranked, rel in runs) / n)


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    gain = sum((2 ** relevant.get(i, 0) - 1) / math.log2(r + 1) for r, i in enumerate(ranked[:k], 1))
    ideal = sum((2**g - 1) / math.log2(r + 1) for r, g in enumerate(sorted(relevant.values(), reverse=True)[:k], 1))
    return gain / ideal if ideal else 0.0


def load_queries(path: Path, known_ids: set[str] | None = None) -> list[Query]:
    try:
        data = documents.load(documents.read_text(path)).data
    except FileNotFoundError:
        raise EvalFileError(f"no query file at {path}") from None
    except OSError as exc:
        raise EvalFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except documents.DocumentError as exc:
        raise EvalFileError(f"{path}:{exc.position.line}:{exc.position.column}: {exc.message}") from None
    if not isinstance(data, dict) or not isinstance(data.get("queries"), list):
        raise EvalFileError(f"{path}: expected a mapping with a 'queries' list")
    queries = []
    for n, item in enumerate(data["queries"], 1):
        if not isinstance(item, dict) or not isinstance(item.get("query"), str) or not isinstance(item.get("relevant"), dict):
            raise EvalFileError(f"{path}: query {n}: expected 'query' (text) and 'relevant' (id: grade)")
        unknown = [i for i in item["relevant"] if known_ids is not None and i not in known_ids]
        if unknown:
            raise EvalFileError(f"{path}: query {n}: unknown entry id(s) {', '.join(unknown)}")
        queries.append(Query(item["query"], {str(k): int(v) for k, v in item["relevant"].items()}))
    return queries


Ranker = Callable[[str], list[str]]


def run(ranker: Ranker, queries: list[Query]) -> Scores:
    return Scores.of([(ranker(q.text), q.relevant) for q in queries])


def mode_ranker(searcher: Searcher, mode: str, entry_type: str = "case-study") -> Ranker:
    """The ids ``searcher`` ranks first in ``mode`` (hybrid fuses with ``searcher.fusion``)."""
    return lambda q: [r.id for r in searcher.search(q, K, entry_type, {}, mode)]


def evaluate(searcher: Searcher, queries: list[Query]) -> dict[str, Scores]:
    """The three modes `kb find` offers."""
    return {mode: run(mode_ranker(searcher, mode), queries) for mode in ("bm25", "dense", "hybrid")}


def design_variants(searcher: Searcher, queries: list[Query], entry_texts: dict[str, str]) -> dict[str, Scores]:
    """Alternatives to the shipped design, scored on the same queries."""
    ids = [r["id"] for r in searcher.records if r["type"] == "case-study"]
    texts = [entry_texts[i] for i in ids]
    out: dict[str, Scores] = {}
    out["dense, one vector per entry"] = run(one_vector_ranker(searcher.encoder, ids, texts), queries)
    out["dense, best passage (shipped)"] = run(mode_ranker(searcher, "dense"), queries)
    out["bm25, unstemmed"] = run(unstemmed_ranker(ids, texts), queries)
    out["bm25, stemmed (shipped)"] = run(mode_ranker(searcher, "bm25"), queries)
    for k in (60.0, 10.0):
        out[f"hybrid, RRF k={k:g}"] = run(mode_ranker(searcher.using(ReciprocalRank(k)), "hybrid"), queries)
    for weight in (0.4, 0.5, 0.6, 0.7, 0.8):
        out[f"hybrid, min-max, dense weight {weight}"] = run(mode_ranker(searcher.using(WeightedMinMax(weight)), "hybrid"), queries)
    return out


def one_vector_ranker(encoder: Encoder, ids: list[str], texts: list[str]) -> Ranker:
    """One vector per entry (its whole text, truncated at 256 tokens) instead of its best passage."""
    whole = encoder.encode(texts)

    def rank(q: str) -> list[str]:
        sims = whole @ encoder.encode([q])[0]
        return [ids[j] for j in np.argsort(-sims)[:K]]

    return rank


def unstemmed_ranker(ids: list[str], texts: list[str]) -> Ranker:
    """BM25 over the same texts without the stemmer."""
    import bm25s

    plain = bm25s.BM25()
    plain.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def rank(q: str) -> list[str]:
        tokens = [t for t in bm25s.tokenize([q], stopwords="en", return_ids=False, show_progress=False)[0] if t in plain.vocab_dict]
        if not tokens:
            return []
        scores = plain.get_scores(tokens)
        return [ids[j] for j in np.argsort(-scores)[:K] if scores[j] > 0]

    return rank
