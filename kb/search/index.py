"""The search index on disk: passage vectors in faiss, BM25 in bm25s, and a manifest.

Layout of the data folder (default ``.kb/``)::

    CURRENT            name of the live index version (replaced atomically)
    index-<stamp>/     manifest.json, records.json, passages.json, vectors.npy,
                       dense.faiss, bm25/
    onnx/<model>/      the encoder exported to ONNX, for fast queries

A build writes a new version folder and only then points ``CURRENT`` at it, so a build
killed midway leaves the previous index intact. Builds are incremental: an entry whose
content hash and model are unchanged keeps its vectors.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from kb.search.encoder import DEFAULT_MODEL, Encoder
from kb.files import write_atomic
from kb.errors import IndexMissing, WriteFailed  # noqa: F401  (IndexMissing re-exported for callers)

if TYPE_CHECKING:
    from kb.content import Content

FORMAT = 1
PASSAGE_FORMAT = 2  # bump when kb.passages changes what the encoder sees: vectors are redone
Progress = Callable[[int, int], None]  # (done, total): the CLI draws a bar from it


@dataclass
class BuildReport:
    version: str
    entries: int
    passages: int
    embedded: int  # passages embedded this time (the rest were reused)
    reused_entries: int
    seconds: float


def content_signature(root: Path) -> dict[str, list[int]]:
    """Modification time and size of every content file: a cheap staleness check that
    needs no YAML parsing, so ``kb find`` stays fast when nothing changed."""
    signature = {}
    for path in sorted(root.rglob("*.yaml")):
        stat = path.stat()
        signature[str(path.relative_to(root))] = [stat.st_mtime_ns, stat.st_size]
    return signature


def current_dir(data_dir: Path) -> Path | None:
    pointer = data_dir / "CURRENT"
    if not pointer.exists():
        return None
    version = data_dir / pointer.read_text().strip()
    return version if (version / "manifest.json").exists() else None


def read_manifest(data_dir: Path) -> dict[str, Any] | None:
    version = current_dir(data_dir)
    return json.loads((version / "manifest.json").read_text()) if version else None


def onnx_dir(data_dir: Path, model: str) -> Path:
    return data_dir / "onnx" / re.sub(r"[^A-Za-z0-9_.-]+", "_", model)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False))


def _previous_vectors(data_dir: Path, model: str) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Hashes and vectors of the live index, if it was built with the same model."""
    version = current_dir(data_dir)
    if version is None:
        return {}, {}
    manifest = json.loads((version / "manifest.json").read_text())
    if manifest.get("model") != model or manifest.get("format") != FORMAT or manifest.get("passage_format") != PASSAGE_FORMAT:
        return {}, {}
    owners = [p["entry_id"] for p in json.loads((version / "passages.json").read_text())]
    vectors = np.load(version / "vectors.npy")
    by_entry: dict[str, list[int]] = {}
    for row, owner in enumerate(owners):
        by_entry.setdefault(owner, []).append(row)
    return manifest["entries"], {e: vectors[rows] for e, rows in by_entry.items()}


def build(
    content: Content,
    data_dir: Path,
    encoder_factory: Callable[[], Encoder],
    model: str = DEFAULT_MODEL,
    progress: Progress | None = None,
    force: bool = False,
) -> BuildReport:
    """Build (or refresh) the index for ``content`` and make it live atomically."""
    import faiss

    from kb.content import entry_hash
    from kb.search.passages import Passage, bm25_text, filter_vocabulary, passage_input, passages, record

    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    old_hashes, old_vectors = ({}, {}) if force else _previous_vectors(data_dir, model)
    entries = content.published()
    hashes = {e.id: entry_hash(e) for e in entries}

    all_passages: list[Passage] = []
    inputs: list[str] = []
    todo: list[int] = []  # rows still to embed
    reused: dict[int, np.ndarray] = {}
    reused_entries = 0
    for entry in entries:
        entry_passages = passages(entry)
        keep = old_hashes.get(entry.id) == hashes[entry.id] and entry.id in old_vectors and len(old_vectors[entry.id]) == len(entry_passages)
        reused_entries += keep
        for i, passage in enumerate(entry_passages):
            row = len(all_passages)
            all_passages.append(passage)
            inputs.append(passage_input(entry, passage))
            if keep:
                reused[row] = old_vectors[entry.id][i]
            else:
                todo.append(row)

    encoder = encoder_factory() if (todo or not onnx_dir(data_dir, model).exists()) else None
    dims = encoder.dimensions if encoder else int(next(iter(reused.values())).shape[0])
    vectors = np.zeros((len(all_passages), dims), dtype=np.float32)
    for row, vector in reused.items():
        vectors[row] = vector
    if progress:
        progress(0, len(todo))
    batch = 32
    for start in range(0, len(todo), batch):
        rows = todo[start : start + batch]
        vectors[rows] = encoder.encode([inputs[r] for r in rows])  # type: ignore[union-attr]
        if progress:
            progress(min(start + batch, len(todo)), len(todo))

    if encoder is not None and not onnx_dir(data_dir, model).exists() and hasattr(encoder, "export_onnx"):
        encoder.export_onnx(onnx_dir(data_dir, model))

    version = f"index-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
    tmp = Path(tempfile.mkdtemp(dir=data_dir, prefix=f".{version}."))
    try:
        dense = faiss.IndexFlatIP(dims)
        if len(vectors):
            dense.add(vectors)
        faiss.write_index(dense, str(tmp / "dense.faiss"))
        np.save(tmp / "vectors.npy", vectors)
        _write_json(tmp / "passages.json", [{"entry_id": p.entry_id, "field": p.field, "text": p.text} for p in all_passages])
        _write_json(tmp / "records.json", [record(e, content) for e in entries])
        _save_bm25([bm25_text(e, content) for e in entries], tmp / "bm25")
        manifest = {
            "format": FORMAT,
            "passage_format": PASSAGE_FORMAT,
            "model": model,
            "dimensions": dims,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 3),
            "content_root": str(content.root),
            "entries": hashes,
            "files": content_signature(content.root),
            "passages": len(all_passages),
            "vocabulary": filter_vocabulary(content),
            "onnx": str(onnx_dir(data_dir, model).relative_to(data_dir)),
        }
        _write_json(tmp / "manifest.json", manifest)
        os.replace(tmp, data_dir / version)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):  # a full disk: the live version stays as it was
            raise WriteFailed(data_dir / version, exc) from None
        raise
    _point_current(data_dir, version)
    return BuildReport(version, len(entries), len(all_passages), len(todo), reused_entries, time.perf_counter() - started)


def _save_bm25(texts: list[str], directory: Path) -> None:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(tokenize(texts), show_progress=False)
    retriever.save(str(directory), show_progress=False)


@functools.cache
def stemmer() -> Any:
    """One English Snowball stemmer: the evaluation found stemming helps BM25 here."""
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> Any:
    """Stemmed, stopword-free tokens for indexing."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), show_progress=False)


def query_tokens(text: str) -> list[str]:
    import bm25s

    tokens: list[str] = bm25s.tokenize([text], stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False)[0]
    return tokens


def _point_current(data_dir: Path, version: str) -> None:
    """Switch ``CURRENT`` atomically, then remove versions no longer live, and what
    builds killed midway left behind."""
    write_atomic(data_dir / "CURRENT", version)
    for old in data_dir.glob("index-*"):
        if old.name != version:
            shutil.rmtree(old, ignore_errors=True)
    for partial in data_dir.glob(".index-*"):
        if not _builder_alive(partial.name):
            shutil.rmtree(partial, ignore_errors=True)


def _builder_alive(name: str) -> bool:
    """Whether the process that named this build folder (``.index-<time>-<pid>.<random>``) runs."""
    pid = name.split(".")[1].rsplit("-", 1)[-1]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def freshness(data_dir: Path, content_root: Path) -> str:
    """``missing``, ``fresh``, ``stale`` (content files changed since the build) or
    ``outdated`` (built by a kb that indexed differently)."""
    manifest = read_manifest(data_dir)
    if manifest is None:
        return "missing"
    if manifest.get("format") != FORMAT or manifest.get("passage_format") != PASSAGE_FORMAT:
        return "outdated"
    return "fresh" if manifest["files"] == content_signature(content_root) else "stale"
