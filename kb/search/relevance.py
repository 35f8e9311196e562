"""How close a result is, on a scale that means the same for every query.

The fused score of a hybrid search is min-max scaled within one query, so its leader is
always near 1.0 however poor the match. Relevance instead reads the raw cosine between the
query and the entry's closest passage (all-MiniLM-L6-v2 vectors, the same for every
query and every mode) and maps it through a logistic curve whose midpoint is the
threshold ``bench/relevance_threshold.py`` measured: at or above it a result is *close*;
a search with no close result says "no close match" and shows the nearest as such.
"""

from __future__ import annotations

import math

# Cosine at which a result counts as close (relevance 0.5). Measured with
# bench/relevance_threshold.py on tests/eval/: 0.42 flagged 24 of 25 off-topic challenges
# and 3 of 117 answerable queries (0.40: 92% and 3%; 0.46: 96% and 6%).
CLOSE_COSINE = 0.42
# How quickly relevance rises around the threshold: 0.1 of cosine either side moves it
# from 0.5 to about 0.12 or 0.88.
SPREAD = 0.05


def relevance(cosine: float) -> float:
    """0..1, 0.5 at the threshold of "close"."""
    return 1.0 / (1.0 + math.exp(-(cosine - CLOSE_COSINE) / SPREAD))


def is_close(value: float) -> bool:
    return value >= 0.5
