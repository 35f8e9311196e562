"""Search speed: cold `kb find` as a whole process, warm queries, index builds, scale.

    .venv/bin/python bench/bench_search.py [--quick]
    .venv/bin/python bench/bench_search.py --entries 100000 [--json]

Prints medians of several runs. The 1k/100k rows use synthetic entries (the real case
studies' sentences, shuffled). Embedding 100k entries for real would take hours on 2
cores, so their vectors are made, not embedded: each passage's vector is a random
mixture (Dirichlet weights) of three real passage vectors of the real content, plus
Gaussian noise of norm 0.35, renormalised (``RealLikeVectors``). Like real vectors they
sit near the real passages' directions (median nearest-neighbour cosine 0.84 against
0.72 for the real passages; mean pairwise cosine 0.45 against 0.33), so the real queries
have true neighbours among them. Random unit vectors in 384 dimensions, which the
previous bench used, are all nearly orthogonal to each other and to every query: the
hardest case for an approximate index, and one no real text produces. The query path
(ONNX encoder, faiss, bm25s, fusion, the real Searcher) is the real one.

``--entries N`` runs the scale figures for N entries only; ``--json`` then prints, as
the last line, a JSON object: ``entries``, ``passages``, ``index`` (the faiss index
kind: FlatIP or HNSWFlat), ``build_s`` (writing the index, vectors given),
``hybrid_p50_ms``, ``dense_p50_ms``, ``bm25_p50_ms``, ``filtered_p50_ms`` (hybrid with
a theme filter), ``recall_at_10`` (each query's dense top-10 entries against exact
search, a flat index over the same vectors, through the same Searcher; averaged over the
bench's queries and the 117 of tests/eval/queries.yaml) and ``filtered_recall_at_10``
(the same with a theme filter), and ``real_content_hybrid_p50_ms``: the same queries on
the real content, a gauge of how loaded the machine was.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
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


def embed_throughput(n: int = 1_000) -> None:
    """Entries per second embedding ``n`` synthetic case studies as an index build does,
    the encoder already loaded: before (sentence-transformers, passages in content order)
    and after (the ONNX export, shortest passages first, kb.search.index._embed)."""
    from kb.search import index
    from kb.search.encoder import OnnxEncoder, SentenceTransformerEncoder

    with tempfile.TemporaryDirectory() as tmp:
        content = synthetic_content(n, Path(tmp))
        entries = content.published()
        plan = index._plan(entries, {e.id: "" for e in entries}, {}, {})
        passages = len(plan.todo)
        for name, encoder, ordered in (
            ("before: sentence-transformers (torch), content order", SentenceTransformerEncoder(), False),
            ("after: ONNX, shortest first", OnnxEncoder(index.onnx_dir(ROOT / ".kb", "all-MiniLM-L6-v2")), True),
        ):
            encoder.encode(["warm up"])
            vectors = np.zeros((passages, encoder.dimensions), dtype=np.float32)
            start = time.perf_counter()
            if ordered:
                index._embed(encoder, plan, vectors, None)
            else:
                for first in range(0, passages, index.EMBED_BATCH):
                    rows = plan.todo[first : first + index.EMBED_BATCH]
                    vectors[rows] = encoder.encode([plan.inputs[r] for r in rows])
            took = time.perf_counter() - start
            print(f"embedding {n:,} entries ({passages:,} passages), {name}: {fmt(took)} = {n / took:.1f} entries/s, {passages / took:.0f} passages/s")


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


class RealLikeVectors:
    """Stands in for the document encoder at scale (see the module's docstring): random
    mixtures of the real content's passage vectors, plus noise, renormalised."""

    name = "all-MiniLM-L6-v2"
    dimensions = 384
    NOISE = 0.35

    def __init__(self) -> None:
        from kb.search.version import IndexVersion

        version = IndexVersion.current(ROOT / ".kb")
        assert version is not None, "the real index is built first (scale())"
        self.real = np.asarray(version.vectors(), dtype=np.float32)
        self.rng = np.random.default_rng(3)

    def encode(self, texts: list[str]) -> np.ndarray:
        n = len(texts)
        picked = self.real[self.rng.integers(0, len(self.real), (n, 3))]
        weights = self.rng.dirichlet([1.0, 1.0, 1.0], n).astype(np.float32)
        mixed = (picked * weights[..., None]).sum(axis=1)
        mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
        noise = self.rng.standard_normal((n, self.dimensions)).astype(np.float32)
        mixed += self.NOISE * noise / np.linalg.norm(noise, axis=1, keepdims=True)
        return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)


def bench_queries() -> list[str]:
    from kb.search.evaluate import load_queries

    return QUERIES + [q.text for q in load_queries(ROOT / "tests" / "eval" / "queries.yaml")]


def recall_at_10(searcher, exact, queries: list[str], **options) -> float:
    """Mean share of the exact dense top-10 entries that ``searcher`` returns too."""
    found = []
    for q in queries:
        want = {r.id for r in exact.search(q, k=10, mode="dense", **options)}
        got = {r.id for r in searcher.search(q, k=10, mode="dense", **options)}
        found.append(len(want & got) / max(1, len(want)))
    return sum(found) / len(found)


def exact_twin(searcher):
    """``searcher`` with its dense ranker over a flat (exact) index of the same vectors."""
    import faiss

    from kb.search.dense import DenseRanker
    from kb.search.filters import Selections

    vectors = np.asarray(searcher.version.vectors(), dtype=np.float32)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    twin = copy.copy(searcher)
    twin.dense = DenseRanker(flat, searcher.version.passage_owner, vectors)
    twin.selections = Selections(searcher.version.records, searcher.version.rows_of, twin.dense.restrict)
    return twin


def scale(sizes: list[int], runs: int, as_json: bool = False) -> None:
    from kb.core import KnowledgeBase
    from kb.search import index
    from kb.search.searcher import Searcher

    real = KnowledgeBase.open(ROOT / "content").searcher()  # the real index: its ONNX export and its vectors
    for q in QUERIES:
        real.search(q)
    # The same queries on the real content (91 entries; README: hybrid 4.5 ms on an idle
    # machine), measured now: how loaded the machine is while the figures below are taken.
    baseline = median(time_queries(real, runs))
    real_onnx = index.onnx_dir(ROOT / ".kb", "all-MiniLM-L6-v2")
    queries = bench_queries()
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / ".kb"
            data.mkdir()
            (data / "onnx").mkdir()
            (index.onnx_dir(data, "all-MiniLM-L6-v2")).symlink_to(real_onnx)
            content = synthetic_content(n, Path(tmp))
            start = time.perf_counter()
            report = index.build(content, data, RealLikeVectors)
            built = time.perf_counter() - start
            kb = KnowledgeBase(Path(tmp), data)
            searcher: Searcher = kb._load_searcher()
            for q in QUERIES[:3]:
                searcher.search(q)
            results = {mode: median(time_queries(searcher, runs, mode=mode)) for mode in ("hybrid", "dense", "bm25")}
            filtered = median(time_queries(searcher, runs, filters={"theme": "frailty"}))
            exact = exact_twin(searcher)
            recall = recall_at_10(searcher, exact, queries)
            filtered_recall = recall_at_10(searcher, exact, queries[:20], filters={"theme": "frailty"})
            passages = len(searcher.dense)
            print(
                f"{n:>7,} synthetic entries ({passages:,} passages, {report.index}; index written in {fmt(built)} without embedding): "
                + ", ".join(f"{m} {fmt(t)}" for m, t in results.items())
                + f", hybrid+theme filter {fmt(filtered)}; dense recall@10 against exact search {recall:.3f} ({filtered_recall:.3f} filtered)"
            )
            if as_json:
                figures = {
                    "entries": n,
                    "passages": passages,
                    "index": searcher.version.index_kind,
                    "build_s": round(built, 2),
                    "hybrid_p50_ms": round(results["hybrid"] * 1000, 2),
                    "dense_p50_ms": round(results["dense"] * 1000, 2),
                    "bm25_p50_ms": round(results["bm25"] * 1000, 2),
                    "filtered_p50_ms": round(filtered * 1000, 2),
                    "recall_at_10": round(recall, 4),
                    "filtered_recall_at_10": round(filtered_recall, 4),
                    "queries": len(queries),
                    "runs": runs,
                    "real_content_hybrid_p50_ms": round(baseline * 1000, 2),
                }
                print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs, skip 100k")
    parser.add_argument("--entries", type=int, help="only the scale figures, for this many synthetic entries")
    parser.add_argument("--json", action="store_true", help="with --entries: end with the figures as one JSON line")
    parser.add_argument("--embed", action="store_true", help="only entries per second embedding for a build, before and after")
    args = parser.parse_args()
    runs = 5 if args.quick else 11
    if args.entries:
        scale([args.entries], 20 if args.quick else 100, args.json)
        return
    if args.embed:
        embed_throughput(200 if args.quick else 1_000)
        return
    print("== search ==")
    cold_find(runs)
    warm_query(50 if args.quick else 200)
    build_throughput()
    embed_throughput(200 if args.quick else 1_000)
    scale([1_000] if args.quick else [1_000, 100_000], 20 if args.quick else 50)


if __name__ == "__main__":
    main()
