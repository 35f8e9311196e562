"""Fusing dense and sparse rankings into one: a small step of its own, tested alone.

Both functions take ``{entry_id: score}`` maps (higher is better) and return one map.
``kb eval`` compares them; the default is the one that won on our query set.
"""

from __future__ import annotations

Scores = dict[str, float]


def rrf(rankings: list[Scores], k: float = 60.0) -> Scores:
    """Reciprocal rank fusion: sum of 1 / (k + rank). Ignores score magnitudes."""
    fused: Scores = {}
    for scores in rankings:
        for rank, entry_id in enumerate(sorted(scores, key=scores.__getitem__, reverse=True), start=1):
            fused[entry_id] = fused.get(entry_id, 0.0) + 1.0 / (k + rank)
    return fused


def normalise(scores: Scores) -> Scores:
    """Min-max to [0, 1] so a cosine and a BM25 score can be added."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high <= low:
        return {e: (1.0 if high > 0 else 0.0) for e in scores}
    return {e: (s - low) / (high - low) for e, s in scores.items()}


def weighted(rankings: list[Scores], weights: list[float]) -> Scores:
    """Normalised-score combination: keeps how far ahead the leaders are."""
    fused: Scores = {}
    for scores, weight in zip(rankings, weights, strict=True):
        for entry_id, score in normalise(scores).items():
            fused[entry_id] = fused.get(entry_id, 0.0) + weight * score
    return fused
