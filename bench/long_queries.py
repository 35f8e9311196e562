"""Long problem statements: does a paragraph work as well as the short query inside it?

    .venv/bin/python bench/long_queries.py [QUERIES] [--content DIR] [--data DIR]

Each plain query of the eval file (default tests/eval/queries.yaml) is pasted into a
paragraph of the kind a planner writes around a problem (a board, a budget, partners,
asking for examples): words that are common in the entries themselves, so they drown the
few that name the problem. It prints hit@3 / MRR per mode for the short queries, and for
the paragraphs with and without scoring each sentence on its own (kb.search.searcher).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT

BEFORE = (
    "Our board has asked the programme team to look at options before the next planning round. "
    "We have limited time and a small budget, and several partners with different priorities."
)
AFTER = "Any examples of where this has been done, and what it took, would really help us make the case. Thanks in advance for any pointers."


def paragraph(query: str) -> str:
    return f"{BEFORE} {query.rstrip('?.')}. {AFTER}"


def main() -> None:
    from kb.core import KnowledgeBase
    from kb.search.evaluate import K, Scores, load_queries

    parser = argparse.ArgumentParser()
    parser.add_argument("queries", nargs="?", type=Path, default=ROOT / "tests" / "eval" / "queries.yaml")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    searcher = KnowledgeBase.open(args.content, args.data, record_gaps=False).searcher()
    queries = [q for q in load_queries(args.queries, set(searcher.position)) if q.kind == "plain"]

    def score(mode: str, text_of, by_sentence: bool) -> str:
        runs = []
        for q in queries:
            text = text_of(q.text)
            understood = searcher.understand(text)
            vectors = searcher.encoder.encode(understood.dense_texts if by_sentence else understood.forms)
            runs.append(([r.id for r in searcher.search(text, K, q.entry_type, {}, mode, vectors=vectors)], q.relevant))
        s = Scores.of(runs)
        return f"{s.hit3:.3f} / {s.mrr:.3f}"

    print(f"{len(queries)} plain queries; hit@3 / MRR")
    print("mode    short query     paragraph, whole only   paragraph, by sentence (shipped)")
    for mode in ("bm25", "dense", "hybrid"):
        print(f"{mode:6}  {score(mode, str, True):14}  {score(mode, paragraph, False):22}  {score(mode, paragraph, True)}")


if __name__ == "__main__":
    main()
