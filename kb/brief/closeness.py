"""Whether a search result is close enough to a challenge to go into a brief.

A brief must not pad: an entry that only ranked first because something had to is left
out, and when nothing is close the brief says so. The decision is made here alone.
"""

from __future__ import annotations

from kb.search.explain import Result

# The cosine (all-MiniLM-L6-v2) between the challenge and an entry's best passage, at or
# above which the entry is close. Measured by bench/close_threshold.py on the real
# content: over 12 off-topic challenges ("parking permits for the hospital car park",
# "how to bake sourdough bread", …) no result of any section reached 0.38 (highest 0.37);
# over 17 planners' challenges, 75% of sections had an entry at 0.40 or above.
CLOSE_COSINE = 0.40


def is_close(result: Result) -> bool:
    """True when ``result`` is close enough to the challenge to cite.

    ``Result.dense`` is the raw cosine of the entry's best passage (None when the dense
    ranker did not score it). Search is gaining a calibrated signal of its own
    (``Result.close``); when it lands, this returns ``result.close`` instead.
    """
    return result.dense is not None and result.dense >= CLOSE_COSINE
