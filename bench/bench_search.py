"""Search speed: cold `kb find` as a whole process, warm queries, index builds, scale.

    .venv/bin/python bench/bench_search.py [--quick]

Prints medians of several runs. The 1k/100k rows use synthetic entries; their vectors
are random unit vectors (embedding 100k entries for real would take hours on 2 cores),
but the query path — ONNX encoder, faiss, bm25s, fusion — is the real one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import KB, PYTHON, ROOT, fmt, median, time_process

QUERIES = [
    "frailty workforce",
    "dementia training in care homes",
    "care navigators in the voluntary sector",
    "pooled budget between council and CCG",
    "staff survey on team working",
    "telemedicine for remote areas",
    "mental health nurse in integrated teams",
    "advanced practitioners in intensive care",
]


def cold_find(runs: int) -> None:
    from kb.core import KnowledgeBase

    KnowledgeBase.open(ROOT / "content").searcher()  # make sure the index is fresh first
    cold = time_process([KB, "find", "frailty workforce", "--json"], runs)
    torch_import = time_process([PYTHON, "-c", "import sentence_transformers"], max(3, runs // 2))
    print(f"cold `kb find` (whole process, {runs} runs): median {fmt(median(cold))}  (min {fmt(min(cold))}, max {fmt(max(cold))})")
    print(f"`python -c 'import sentence_transformers'`: median {fmt(median(torch_import))}")
    print(f"  ratio: cold find takes {median(cold) / median(torch_import):.2f} of the sentence-transformers import (target ≤ 0.20)")


def time_queries(searcher, runs: int, **options) -> list[float]:
    """Seconds per query for ``runs`` queries cycling through QUERIES."""
    times = []
    for i in range(runs):
        start = time.perf_counter()
        searcher.search(QUERIES[i % len(QUERIES)], **options)
        times.append(time.perf_counter() - start)
    return times


def warm_query(runs: int) -> None:
    from kb.core import KnowledgeBase

    kb = KnowledgeBase.open(ROOT / "content")
    searcher = kb.searcher()
    for q in QUERIES:
        searcher.search(q)
    for mode in ("hybrid", "dense", "bm25"):
        times = time_queries(searcher, runs, mode=mode)
        print(f"warm in-process query, {mode:6} ({runs} runs): median {fmt(median(times))}  p95 {fmt(sorted(times)[int(runs * 0.95) - 1])}")


def build_throughput() -> None:
    from kb.core import KnowledgeBase

    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase.open(ROOT / "content", Path(tmp) / ".kb")
        entries = len(kb.content.published())
        start = time.perf_counter()
        report = kb.build_index(force=True)
        full = time.perf_counter() - start
        start = time.perf_counter()
        again = kb.build_index()
        incremental = time.perf_counter() - start
    print(
        f"full build, real content: {entries} entries / {report.passages} passages in {fmt(full)} "
        f"= {entries / full:.1f} entries/s, {report.passages / full:.1f} passages/s (includes model load and ONNX export)"
    )
    print(f"no-change rebuild: {fmt(incremental)} ({again.embedded} passages embedded)")


def synthetic_content(n: int, root: Path):
    """``n`` case studies made from the real ones' sentences, shuffled."""
    from kb.content import Content, load_content
    from kb.models import CaseStudy, SourceRef

    real, _ = load_content(ROOT / "content")
    sentences = [s for e in real.case_studies() for s in (e.summary + " " + e.approach).split(". ") if len(s) > 30]
    rng = random.Random(7)
    content = Content(root=root, taxonomy=real.taxonomy, documents=real.documents)
    source = [SourceRef(document="ncm-workforce-2017", page=1)]
    for i in range(n):
        picked = rng.sample(sentences, 3)
        content.entries[f"s{i}"] = CaseStudy.model_construct(
            id=f"s{i}",
            type="case-study",
            title=f"Synthetic case study {i}",
            organisation=f"Org {i % 500}",
            organisation_kind="vanguard",
            summary=picked[0],
            approach=picked[1],
            challenge=picked[2],
            themes=[rng.choice(real.taxonomy.themes).id],
            sources=source,
            contributor="bench",
            status="published",
            added=dt.date(2026, 1, 1),
            aliases=[],
            partners=[],
            vanguard_types=[],
            metrics=[],
            roles=[],
            enablers=[],
            barriers=[],
            population_groups=[],
            care_settings=[],
            detail=None,
            quote=None,
            place=None,
            outcomes=CaseStudy.model_fields["outcomes"].default_factory(),
            updated=None,
            reviewed_by=None,
        )
    return content


class RandomUnitVectors:
    """Stands in for the document encoder at 100k scale only (see module docstring)."""

    name = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self) -> None:
        self.rng = np.random.default_rng(3)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = self.rng.standard_normal((len(texts), self.dimensions)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def scale(sizes: list[int], runs: int) -> None:
    from kb.core import KnowledgeBase
    from kb.search import index
    from kb.search.searcher import Searcher

    real_onnx = index.onnx_dir(ROOT / ".kb", "all-MiniLM-L6-v2")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / ".kb"
            data.mkdir()
            (data / "onnx").mkdir()
            (index.onnx_dir(data, "all-MiniLM-L6-v2")).symlink_to(real_onnx)
            content = synthetic_content(n, Path(tmp))
            start = time.perf_counter()
            index.build(content, data, RandomUnitVectors)
            built = time.perf_counter() - start
            kb = KnowledgeBase(Path(tmp), data)
            searcher: Searcher = kb._load_searcher()
            for q in QUERIES[:3]:
                searcher.search(q)
            results = {mode: median(time_queries(searcher, runs, mode=mode)) for mode in ("hybrid", "dense", "bm25")}
            filtered = time_queries(searcher, runs, filters={"theme": "frailty"})
            print(
                f"{n:>7,} synthetic entries ({len(searcher.dense):,} passages; index written in {fmt(built)} without embedding): "
                + ", ".join(f"{m} {fmt(t)}" for m, t in results.items())
                + f", hybrid+theme filter {fmt(median(filtered))}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs, skip 100k")
    args = parser.parse_args()
    runs = 5 if args.quick else 11
    print("== search ==")
    cold_find(runs)
    warm_query(50 if args.quick else 200)
    build_throughput()
    scale([1_000] if args.quick else [1_000, 100_000], 20 if args.quick else 50)


if __name__ == "__main__":
    main()
