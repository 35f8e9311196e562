"""Search quality on a query file with graded relevance: hit@1/3/5, MRR, nDCG@5.

``evaluate`` scores the three shipped modes side by side, over every query and per kind
of query (``kind:`` in the file: typo, abbreviation, long, lay wording, …; untagged
queries are ``plain``). A query may name the entry ``type`` it is answered by (a barrier,
a dilemma, or ``all``); the default is a case study. ``design_variants`` also
scores the alternatives the design was chosen over (one vector per entry, unstemmed
BM25, reciprocal rank fusion with k=60 and k=10, other fusion weights), so the choices
in ``kb.search.fusion.DEFAULT`` and ``kb.search.passages`` can be re-checked whenever content changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb import documents
from kb.entry_types import ENTRY_TYPES
from kb.search import bm25
from kb.search.bm25 import Bm25Ranker
from kb.search.encoder import Encoder
from kb.search.fusion import ReciprocalRank, WeightedMinMax
from kb.search.searcher import Searcher

K = 5


class EvalFileError(ValueError):
    """The query file is missing or malformed."""


PLAIN = "plain"  # the kind of a query the file does not tag


@dataclass
class Query:
    text: str
    relevant: dict[str, int]  # entry id → grade (3 the answer, 1 partly relevant)
    kind: str = PLAIN
    entry_type: str = "case-study"  # the type searched: the default of `kb find`, or another, or "all"


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


def _query_list(path: Path) -> list[Any]:
    """The ``queries`` list of a YAML file, or an :class:`EvalFileError` saying where it is wrong."""
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
    queries: list[Any] = data["queries"]
    return queries


def load_off_topic(path: Path) -> list[str]:
    """Challenges the knowledge base holds nothing close to (``queries:``, each a text or
    a ``query:``): search should say "no close match" for them."""
    texts = []
    for n, item in enumerate(_query_list(path), 1):
        text = item.get("query") if isinstance(item, dict) else item
        if not isinstance(text, str) or not text.strip():
            raise EvalFileError(f"{path}: query {n}: expected the challenge's text")
        texts.append(text)
    return texts


def load_queries(path: Path, known_ids: set[str] | None = None) -> list[Query]:
    data = {"queries": _query_list(path)}
    queries = []
    for n, item in enumerate(data["queries"], 1):
        if not isinstance(item, dict) or not isinstance(item.get("query"), str) or not isinstance(item.get("relevant"), dict):
            raise EvalFileError(f"{path}: query {n}: expected 'query' (text) and 'relevant' (id: grade)")
        unknown = [i for i in item["relevant"] if known_ids is not None and i not in known_ids]
        if unknown:
            raise EvalFileError(f"{path}: query {n}: unknown entry id(s) {', '.join(unknown)}")
        kind, entry_type = item.get("kind", PLAIN), item.get("type", "case-study")
        if not isinstance(kind, str) or not isinstance(entry_type, str) or entry_type not in (*ENTRY_TYPES, "all"):
            raise EvalFileError(f"{path}: query {n}: 'kind' must be text and 'type' one of {', '.join(ENTRY_TYPES)} or all")
        queries.append(Query(item["query"], {str(k): int(v) for k, v in item["relevant"].items()}, kind, entry_type))
    return queries


Ranker = Callable[[Query], list[str]]
MODES = ("bm25", "dense", "hybrid")


def run(ranker: Ranker, queries: list[Query]) -> Scores:
    return Scores.of([(ranker(q), q.relevant) for q in queries])


def mode_ranker(searcher: Searcher, mode: str) -> Ranker:
    """The ids ``searcher`` ranks first in ``mode`` (hybrid fuses with ``searcher.fusion``)."""
    return lambda q: [r.id for r in searcher.search(q.text, K, q.entry_type, {}, mode)]


@dataclass
class Report:
    """Scores per mode over every query, and per kind of query and mode."""

    modes: dict[str, Scores]
    kinds: dict[str, dict[str, Scores]]  # kind → mode → scores
    counts: dict[str, int]  # kind → how many queries


def evaluate(searcher: Searcher, queries: list[Query]) -> Report:
    """The three modes `kb find` offers, over all queries and per kind (plain first)."""
    kinds = sorted({q.kind for q in queries}, key=lambda kind: (kind != PLAIN, kind))
    runs = {mode: [(mode_ranker(searcher, mode)(q), q) for q in queries] for mode in MODES}

    def scores(mode: str, kind: str | None) -> Scores:
        return Scores.of([(ranked, q.relevant) for ranked, q in runs[mode] if kind in (None, q.kind)])

    return Report(
        modes={mode: scores(mode, None) for mode in MODES},
        kinds={kind: {mode: scores(mode, kind) for mode in MODES} for kind in kinds},
        counts={kind: sum(q.kind == kind for q in queries) for kind in kinds},
    )


@dataclass
class Honesty:
    """How often hybrid search says "no close match": it should for off-topic challenges,
    and should not for the queries the knowledge base answers."""

    off_topic: int
    off_topic_flagged: int
    answerable: int
    answerable_flagged: int  # wrongly: each of these has a graded answer
    wrongly_flagged: list[str]  # their text, to look at

    @property
    def flagged_share(self) -> float:
        return self.off_topic_flagged / (self.off_topic or 1)

    @property
    def false_flag_share(self) -> float:
        return self.answerable_flagged / (self.answerable or 1)


def honesty(searcher: Searcher, queries: list[Query], off_topic: list[str]) -> Honesty:
    def flagged(text: str, entry_type: str = "case-study") -> bool:
        return searcher.answer(text, K, entry_type).no_close_match

    wrong = [q.text for q in queries if flagged(q.text, q.entry_type)]
    return Honesty(len(off_topic), sum(flagged(t) for t in off_topic), len(queries), len(wrong), wrong)


def design_variants(searcher: Searcher, queries: list[Query], entry_texts: dict[str, str], bm25_texts: list[str]) -> dict[str, Scores]:
    """Alternatives to the shipped design, scored on the same queries. ``bm25_texts``: the
    text BM25 indexes for each of the searcher's records, in order."""
    ids = [r["id"] for r in searcher.records if r["type"] == "case-study"]
    texts = [entry_texts[i] for i in ids]
    out: dict[str, Scores] = {}
    out["dense, one vector per entry"] = run(one_vector_ranker(searcher.encoder, ids, texts), queries)
    out["dense, best passage (shipped)"] = run(mode_ranker(searcher, "dense"), queries)
    out["bm25, unstemmed"] = run(unstemmed_ranker(ids, texts), queries)
    out["bm25, stemmed (shipped)"] = run(mode_ranker(searcher, "bm25"), queries)
    out["hybrid, bm25 k1 1.5 (bm25s's default)"] = run(mode_ranker(searcher.using(bm25=Bm25Ranker(bm25.build(bm25_texts, k1=1.5))), "hybrid"), queries)
    for k in (60.0, 10.0):
        out[f"hybrid, RRF k={k:g}"] = run(mode_ranker(searcher.using(ReciprocalRank(k)), "hybrid"), queries)
    for weight in (0.4, 0.5, 0.6, 0.7, 0.8):
        out[f"hybrid, min-max, dense weight {weight}"] = run(mode_ranker(searcher.using(WeightedMinMax(weight)), "hybrid"), queries)
    return out


def one_vector_ranker(encoder: Encoder, ids: list[str], texts: list[str]) -> Ranker:
    """One vector per entry (its whole text, truncated at 256 tokens) instead of its best passage."""
    whole = encoder.encode(texts)

    def rank(q: Query) -> list[str]:
        sims = whole @ encoder.encode([q.text])[0]
        return [ids[j] for j in np.argsort(-sims)[:K]]

    return rank


def unstemmed_ranker(ids: list[str], texts: list[str]) -> Ranker:
    """BM25 over the same texts without the stemmer."""
    import bm25s

    plain = bm25s.BM25()
    plain.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def rank(q: Query) -> list[str]:
        tokens = [t for t in bm25s.tokenize([q.text], stopwords="en", return_ids=False, show_progress=False)[0] if t in plain.vocab_dict]
        if not tokens:
            return []
        scores = plain.get_scores(tokens)
        return [ids[j] for j in np.argsort(-scores)[:K] if scores[j] > 0]

    return rank
