"""Building the search index on disk: passage vectors in faiss, BM25 in bm25s, and a manifest.

Layout of the data folder (default ``.kb/``)::

    CURRENT            name of the live index version (replaced atomically)
    index-<stamp>/     manifest.json, records.json, passages.json, vectors.npy,
                       dense.faiss, bm25/   (read by kb.search.version)
    onnx/<model>/      the encoder exported to ONNX, for fast queries

A build writes a new version folder and only then points ``CURRENT`` at it, so a build
killed midway leaves the previous index intact. Builds are incremental: an entry whose
content hash and model are unchanged keeps its vectors.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from kb.errors import IndexMissing  # noqa: F401  (re-exported for callers)
from kb.search import bm25
from kb.search.encoder import DEFAULT_MODEL, Encoder, OnnxEncoder
from kb.search.query import StoredTerm, query_data
from kb.search.version import IndexVersion, Manifest, publish
from kb.search.version import current_dir as current_dir  # re-exported for callers that need only the folder

if TYPE_CHECKING:
    import faiss

    from kb.content import Content
    from kb.models import EntryBase
    from kb.search.passages import Passage

FORMAT = 5  # bump when the version's files change (3: query.json, for reading queries; 4: records carry `evidence`; 5: BM25 k1 1.2); vectors are kept
PASSAGE_FORMAT = 2  # bump when kb.passages changes what the encoder sees: vectors are redone
EMBED_BATCH = 32

# Past this many passages the dense index is HNSW, not flat. Measured on this 2-core
# machine (shared, so inflated; passage vectors like real ones, bench/bench_search.py):
# one flat exact search of 80 neighbours takes 1.3 ms at 10,000 passages, 2.6 ms at
# 20,000, 5.6 ms at 30,000, 8 ms at 50,000 and 25 ms at 100,000, and a query runs one or
# two of them (as typed; corrected and expanded), against ~5 ms for the whole hybrid query
# at the real content's size. HNSW (efConstruction 80, efSearch 128) answered in 0.2-0.4 ms
# at any of these sizes and was built in ~2 s at 20,000 passages (12 s at 100,000, 36-54 s
# at 300,000; the settings below cost about twice that). Below 20,000 passages (about
# 6,000 entries) flat search is exact and fast enough; past it, HNSW.
HNSW_FROM_PASSAGES = 20_000
HNSW_M = 32  # links per node: recall rises with it; 32 is faiss's usual choice at 384 dims
# Measured at 300,000 passages like real ones (bench/bench_search.py's RealLikeVectors;
# 100,000 entries), dense top-10 entries of 125 real queries against exact search:
# efConstruction 80 built in 54 s and reached recall 0.888 / 0.939 / 0.963 at efSearch
# 256 / 512 / 1024; efConstruction 160 built in 118 s and reached 0.957 / 0.982 / 0.994
# (0.4 / 0.7 / 1.4 ms a query). At 90,000 passages efConstruction 80 already gave 0.965 /
# 0.982 / 0.993. Embedding 100,000 entries takes hours, so two minutes of graph is cheap.
HNSW_EF_CONSTRUCTION = 160
# Candidates kept while searching (faiss searches with max(efSearch, k); dense search asks
# for at least 64 rows). 768: between the 512 that just reaches recall 0.98 at 300,000
# passages and the 1024 that gives 0.994 at twice the cost. Stored in dense.faiss (faiss
# keeps efSearch), so loading restores it.
HNSW_EF_SEARCH = 768
Progress = Callable[[int, int], None]  # (done, total): the CLI draws a bar from it


@dataclass
class BuildReport:
    version: str
    entries: int
    passages: int
    embedded: int  # passages embedded this time (the rest were reused)
    reused_entries: int
    seconds: float
    index: str = "FlatIP"  # the dense index's kind: FlatIP or HNSWFlat


def content_signature(root: Path) -> dict[str, list[int]]:
    """Modification time and size of every content file: a cheap staleness check that
    needs no YAML parsing, so ``kb find`` stays fast when nothing changed."""
    signature = {}
    for path in sorted(root.rglob("*.yaml")):
        stat = path.stat()
        signature[str(path.relative_to(root))] = [stat.st_mtime_ns, stat.st_size]
    return signature


def onnx_dir(data_dir: Path, model: str) -> Path:
    return data_dir / "onnx" / re.sub(r"[^A-Za-z0-9_.-]+", "_", model)


def built_like_this(manifest: Manifest) -> bool:
    """Whether this kb would index the same way; if not, the version's vectors are redone."""
    return manifest.get("format") == FORMAT and manifest.get("passage_format") == PASSAGE_FORMAT


def freshness(data_dir: Path, content_root: Path) -> str:
    """``missing``, ``fresh``, ``stale`` (content files changed since the build) or
    ``outdated`` (built by a kb that indexed differently)."""
    version = IndexVersion.current(data_dir)
    if version is None:
        return "missing"
    if not built_like_this(version.manifest):
        return "outdated"
    return "fresh" if version.manifest["files"] == content_signature(content_root) else "stale"


# --- building --------------------------------------------------------------------------


def build(
    content: Content,
    data_dir: Path,
    encoder_factory: Callable[[], Encoder],
    model: str = DEFAULT_MODEL,
    progress: Progress | None = None,
    force: bool = False,
    hnsw_from: int = HNSW_FROM_PASSAGES,
) -> BuildReport:
    """Build (or refresh) the index for ``content`` and make it live atomically.

    ``hnsw_from``: the number of passages from which the dense index is HNSW (tests lower it)."""
    from kb.content import entry_hash

    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    old_hashes, old_vectors = ({}, {}) if force else _previous_vectors(data_dir, model)
    entries = content.published()
    hashes = {e.id: entry_hash(e) for e in entries}
    plan = _plan(entries, hashes, old_hashes, old_vectors)

    onnx = onnx_dir(data_dir, model)
    encoder = encoder_factory() if (plan.todo or not onnx.exists()) else None  # loading it is the slow part
    if encoder is not None and not onnx.exists() and hasattr(encoder, "export_onnx"):
        encoder.export_onnx(onnx)
        if plan.todo:  # the export embeds faster than torch, and the same (tests/search/test_encoder.py)
            encoder = OnnxEncoder(onnx)
    vectors = _vectors(plan, encoder, progress)
    kind = dense_kind(len(plan.passages), hnsw_from)

    def write(folder: Path) -> None:
        _write_files(folder, content, entries, plan.passages, vectors, kind)
        manifest = _manifest(content, data_dir, model, hashes, vectors, started, kind)
        _write_json(folder / "manifest.json", manifest)  # last: its presence marks a complete version

    version = f"index-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
    publish(data_dir, version, write)
    return BuildReport(version, len(entries), len(plan.passages), len(plan.todo), plan.reused_entries, time.perf_counter() - started, kind)


def _previous_vectors(data_dir: Path, model: str) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Hashes and vectors of the live index, if it was built with the same model."""
    version = IndexVersion.current(data_dir)
    if version is None or version.manifest.get("model") != model or version.manifest.get("passage_format") != PASSAGE_FORMAT:
        return {}, {}
    vectors = version.vectors()
    by_entry: dict[str, list[int]] = {}
    for row, passage in enumerate(version.passages):
        by_entry.setdefault(passage["entry_id"], []).append(row)
    return version.manifest["entries"], {e: vectors[rows] for e, rows in by_entry.items()}


@dataclass
class _Plan:
    """Every passage of a build, and which of them keep their vectors from the last one."""

    passages: list[Passage] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # what the encoder sees, per passage
    todo: list[int] = field(default_factory=list)  # rows still to embed
    reused: dict[int, np.ndarray] = field(default_factory=dict)  # row → its kept vector
    reused_entries: int = 0


def _plan(entries: list[EntryBase], hashes: dict[str, str], old_hashes: dict[str, str], old_vectors: dict[str, np.ndarray]) -> _Plan:
    from kb.search.passages import passage_input, passages

    plan = _Plan()
    for entry in entries:
        entry_passages = passages(entry)
        old = old_vectors.get(entry.id) if old_hashes.get(entry.id) == hashes[entry.id] else None
        if old is not None and len(old) != len(entry_passages):
            old = None
        plan.reused_entries += old is not None
        for i, passage in enumerate(entry_passages):
            row = len(plan.passages)
            plan.passages.append(passage)
            plan.inputs.append(passage_input(entry, passage))
            if old is not None:
                plan.reused[row] = old[i]
            else:
                plan.todo.append(row)
    return plan


def _vectors(plan: _Plan, encoder: Encoder | None, progress: Progress | None) -> npt.NDArray[np.float32]:
    """Every passage's vector: kept ones copied, the rest embedded a batch at a time.
    ``encoder`` is None only when nothing needs embedding."""
    dims = encoder.dimensions if encoder is not None else int(next(iter(plan.reused.values())).shape[0])
    vectors = np.zeros((len(plan.passages), dims), dtype=np.float32)
    for row, vector in plan.reused.items():
        vectors[row] = vector
    if progress:
        progress(0, len(plan.todo))
    if encoder is not None:
        _embed(encoder, plan, vectors, progress)
    return vectors


def _embed(encoder: Encoder, plan: _Plan, vectors: npt.NDArray[np.float32], progress: Progress | None) -> None:
    """Embed the passages to do a batch at a time, shortest first: a batch is padded to its
    longest passage, so batching passages of like length wastes little work on padding."""
    todo = sorted(plan.todo, key=lambda row: len(plan.inputs[row]))
    for start in range(0, len(todo), EMBED_BATCH):
        rows = todo[start : start + EMBED_BATCH]
        vectors[rows] = encoder.encode([plan.inputs[r] for r in rows])
        if progress:
            progress(min(start + EMBED_BATCH, len(todo)), len(todo))


def dense_kind(passages: int, hnsw_from: int = HNSW_FROM_PASSAGES) -> str:
    """The dense index a build of ``passages`` passages writes: ``FlatIP`` or ``HNSWFlat``."""
    return "HNSWFlat" if passages >= hnsw_from else "FlatIP"


def dense_index(vectors: npt.NDArray[np.float32], kind: str) -> faiss.Index:
    """The faiss inner-product index of ``vectors``: exact (flat) or HNSW."""
    import faiss

    dense: faiss.Index
    if kind == "HNSWFlat":
        dense = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        dense.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        dense.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        dense = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        dense.add(vectors)
    return dense


def _write_files(folder: Path, content: Content, entries: list[EntryBase], passages: list[Passage], vectors: npt.NDArray[np.float32], kind: str) -> None:
    """Write the version's files, the dense index of ``kind`` among them."""
    import faiss

    from kb.search.passages import bm25_text, record

    faiss.write_index(dense_index(vectors, kind), str(folder / "dense.faiss"))
    np.save(folder / "vectors.npy", vectors)
    _write_json(folder / "passages.json", [{"entry_id": p.entry_id, "field": p.field, "text": p.text} for p in passages])
    _write_json(folder / "records.json", [record(e, content) for e in entries])
    texts = [bm25_text(e, content) for e in entries]
    _save_bm25(texts, folder / "bm25")
    _write_json(folder / "query.json", query_data(glossary_terms(content), texts))


def _manifest(content: Content, data_dir: Path, model: str, hashes: dict[str, str], vectors: npt.NDArray[np.float32], started: float, kind: str) -> Manifest:
    from kb.search.passages import filter_vocabulary

    return {
        "format": FORMAT,
        "passage_format": PASSAGE_FORMAT,
        "model": model,
        "dimensions": vectors.shape[1],
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "content_root": str(content.root),
        "entries": hashes,
        "files": content_signature(content.root),
        "passages": len(vectors),
        "index": kind,
        "vocabulary": filter_vocabulary(content),
        "onnx": str(onnx_dir(data_dir, model).relative_to(data_dir)),
    }


def glossary_terms(content: Content) -> list[StoredTerm]:
    """The glossary as query understanding needs it (kb.search.query)."""
    return [{"term": t.term, "expansion": t.expansion, "synonyms": list(t.synonyms)} for t in content.glossary]


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False))


def _save_bm25(texts: list[str], directory: Path) -> None:
    bm25.build(texts).save(str(directory), show_progress=False)
