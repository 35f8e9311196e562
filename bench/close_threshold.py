"""Measure where the brief's "close enough" cosine should sit, on the real content.

For planners' challenges and off-topic ones, the cosine of each entry a brief's six
searches return (top 5 of each section): a good threshold lies above every off-topic
result and below the best result of most sections for real challenges.
kb.brief.closeness.CLOSE_COSINE is set from this.

    .venv/bin/python bench/close_threshold.py   (needs a built index: kb index)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.brief.assemble import SECTIONS
from kb.brief.closeness import CLOSE_COSINE
from kb.core import KnowledgeBase

ON_TOPIC = [
    "frailty workforce",
    "care navigators in general practice",
    "training care home staff in dementia",
    "pooled budgets between health and social care",
    "recruiting and retaining GPs in rural areas",
    "staff wellbeing and joy at work",
    "multidisciplinary team meetings",
    "physician associates",
    "reducing A&E attendances",
    "workforce planning for a population",
    "sharing patient records between organisations",
    "indemnity for staff working across organisations",
    "mental health in primary care",
    "pharmacists in care homes",
    "social prescribing",
    "nurse led clinics",
    "evaluate the impact of new roles",
]
OFF_TOPIC = [
    "parking permits for the hospital car park",
    "how to bake sourdough bread",
    "football results",
    "quantum computing algorithms",
    "tax return deadline",
    "buying a second hand car",
    "knitting patterns for jumpers",
    "hospital car parking charges",
    "the weather tomorrow in Leeds",
    "hospital food menu",
    "asdfgh qwerty",
    "printer not working",
]
TYPES = ["case-study"] + [entry_type for entry_type, _, _ in SECTIONS]


def cosines(kb: KnowledgeBase, challenges: list[str]) -> tuple[list[float], list[float]]:
    """Every result's cosine, and the best of each (challenge, section)."""
    every, best = [], []
    for challenge in challenges:
        for entry_type in TYPES:
            found = [r.dense or 0.0 for r in kb.find(challenge, 5, entry_type)]
            every += found
            best.append(max(found, default=0.0))
    return every, best


def main() -> None:
    kb = KnowledgeBase.open(Path("content"), Path(".kb"))
    print(f"cosine of each result (top 5 of each of {len(TYPES)} sections); threshold now {CLOSE_COSINE}")
    for label, challenges in (("planners' challenges", ON_TOPIC), ("off-topic challenges", OFF_TOPIC)):
        every, best = cosines(kb, challenges)
        quartiles = np.percentile(every, [50, 95, 100]).round(2)
        close = np.mean(np.array(every) >= CLOSE_COSINE)
        sections = np.mean(np.array(best) >= CLOSE_COSINE)
        print(
            f"  {label:<21} {len(challenges):>2}: median {quartiles[0]}, 95th {quartiles[1]}, max {quartiles[2]};"
            f" results close {close:.0%}; sections with one close {sections:.0%}"
        )


if __name__ == "__main__":
    main()
