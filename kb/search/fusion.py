"""Fusing the dense and BM25 rankings into one: a small step of its own, tested alone.

A strategy is chosen once, when a :class:`~kb.search.searcher.Searcher` is made, not per
query. ``DEFAULT`` is the one search ships with and ``kb eval`` measures as "hybrid";
``kb eval --variants`` scores the alternatives it was chosen over. Scores are maps from
an entry (any hashable key) to a score, higher better.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

E = TypeVar("E", bound=Hashable)

RRF_K = 60.0  # the constant of the paper that introduced RRF (Cormack et al., 2009)


def rrf(rankings: list[Mapping[E, float]], k: float = RRF_K) -> dict[E, float]:
    """Reciprocal rank fusion: sum of 1 / (k + rank). Ignores score magnitudes."""
    fused: dict[E, float] = {}
    for scores in rankings:
        for rank, entry in enumerate(sorted(scores, key=scores.__getitem__, reverse=True), start=1):
            fused[entry] = fused.get(entry, 0.0) + 1.0 / (k + rank)
    return fused


def normalise(scores: Mapping[E, float]) -> dict[E, float]:
    """Min-max to [0, 1] so a cosine and a BM25 score can be added."""
    return dict(zip(scores, _min_max(scores).tolist(), strict=True))


def _min_max(scores: Mapping[E, float]) -> npt.NDArray[np.float64]:
    """The scores' values scaled to [0, 1], in the mapping's order (all 1.0 when they are
    equal and positive, 0.0 when equal and not)."""
    values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    if not len(values):
        return values
    low, high = values.min(), values.max()
    return (values - low) / (high - low) if high > low else np.full(len(values), 1.0 if high > 0 else 0.0)


def weighted(rankings: list[Mapping[E, float]], weights: list[float]) -> dict[E, float]:
    """Normalised-score combination: keeps how far ahead the leaders are.

    Scaled on arrays, and only the entries several rankers found are added one by one: a
    big index passes a thousand or more candidates per ranker, and per-entry dict
    arithmetic was most of fusion's time."""
    fused: dict[E, float] = {}
    for scores, weight in zip(rankings, weights, strict=True):
        mine = dict(zip(scores, (weight * _min_max(scores)).tolist(), strict=True))
        earlier = {entry: fused[entry] for entry in fused.keys() & mine.keys()}
        fused.update(mine)
        for entry, score in earlier.items():
            fused[entry] = score + mine[entry]
    return fused


class Fusion(Protocol):
    """How a hybrid search combines the two rankers' scores."""

    def fuse(self, dense: Mapping[E, float], bm25: Mapping[E, float]) -> dict[E, float]: ...


@dataclass(frozen=True)
class WeightedMinMax:
    """Min-max normalised scores, ``dense_weight`` for dense and the rest for BM25."""

    dense_weight: float

    def fuse(self, dense: Mapping[E, float], bm25: Mapping[E, float]) -> dict[E, float]:
        return weighted([dense, bm25], [self.dense_weight, 1 - self.dense_weight])


@dataclass(frozen=True)
class ReciprocalRank:
    """Reciprocal rank fusion; a smaller ``k`` separates the top ranks more."""

    k: float = RRF_K

    def fuse(self, dense: Mapping[E, float], bm25: Mapping[E, float]) -> dict[E, float]:
        return rrf([dense, bm25], self.k)


# Chosen by `kb eval --variants` on tests/eval/queries.yaml (see README): min-max fusion
# with dense and BM25 weighted equally beat RRF (k=60 and k=10) and either ranker alone.
DEFAULT: Fusion = WeightedMinMax(dense_weight=0.5)
