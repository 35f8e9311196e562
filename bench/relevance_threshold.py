"""The threshold of a close match: where answerable queries and off-topic challenges part.

    .venv/bin/python bench/relevance_threshold.py [QUERIES] [OFF_TOPIC] [--content DIR] [--data DIR]

For every graded query (default tests/eval/queries.yaml) and every off-topic challenge
(default tests/eval/off_topic.yaml) it takes the best cosine any hybrid result reaches
(what ``kb.search.relevance`` turns into relevance), prints both distributions, and for
each candidate threshold the share of off-topic challenges flagged "no close match" and
of graded queries wrongly flagged. The shipped ``CLOSE_COSINE`` should flag at least 90%
of the first while flagging at most 5% of the second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT


def best_cosines(searcher, texts: list[tuple[str, str]]) -> list[float]:
    """Per query, the best cosine between it (any form: typed, corrected, expanded) and
    the closest passage of any of its top-5 hybrid results."""
    out = []
    for text, entry_type in texts:
        vectors = searcher.encoder.encode(searcher.understand(text).dense_texts)
        results = searcher.search(text, 5, entry_type, vectors=vectors)
        out.append(max((float(searcher.explainer.closeness(searcher.position[r.id], vectors).max()) for r in results), default=0.0))
    return out


def main() -> None:
    from kb.core import KnowledgeBase
    from kb.search import relevance
    from kb.search.evaluate import load_off_topic, load_queries

    parser = argparse.ArgumentParser()
    parser.add_argument("queries", nargs="?", type=Path, default=ROOT / "tests" / "eval" / "queries.yaml")
    parser.add_argument("off_topic", nargs="?", type=Path, default=ROOT / "tests" / "eval" / "off_topic.yaml")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()

    searcher = KnowledgeBase.open(args.content, args.data).searcher()
    queries = load_queries(args.queries, set(searcher.position))
    answerable = best_cosines(searcher, [(q.text, q.entry_type) for q in queries])
    off_topic = best_cosines(searcher, [(t, "case-study") for t in load_off_topic(args.off_topic)])
    for name, values in (("answerable", answerable), ("off-topic", off_topic)):
        q = np.quantile(values, [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1])
        print(
            f"{name:>10} ({len(values)}): best cosine min {q[0]:.3f} p5 {q[1]:.3f} p25 {q[2]:.3f} median {statistics.median(values):.3f} p75 {q[4]:.3f} p95 {q[5]:.3f} max {q[6]:.3f}"
        )
    print("threshold  off-topic flagged  answerable wrongly flagged")
    for threshold in np.arange(0.30, 0.56, 0.02):
        flagged = sum(v < threshold for v in off_topic) / len(off_topic)
        wrong = sum(v < threshold for v in answerable) / len(answerable)
        mark = "  <- shipped" if abs(threshold - relevance.CLOSE_COSINE) < 0.01 else ""
        print(f"{threshold:9.2f}  {flagged:17.0%}  {wrong:26.0%}{mark}")
    kinds = sorted({q.kind for q in queries})
    for kind in kinds:
        values = [v for v, q in zip(answerable, queries, strict=True) if q.kind == kind]
        print(f"  {kind}: {len(values)} queries, wrongly flagged at the shipped threshold: {sum(v < relevance.CLOSE_COSINE for v in values)}")


if __name__ == "__main__":
    main()
