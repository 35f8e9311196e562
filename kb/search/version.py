"""Index versions on disk: the only code that reads one, and the switch that makes one live.

A version folder (``.kb/index-<stamp>/``, named by ``.kb/CURRENT``) holds::

    manifest.json   what was built, how, and from which content files
    records.json    what a result shows about each entry, and its filter facets
    passages.json   each passage's entry, field and text (row n = vector n)
    vectors.npy     the passages' normalised vectors
    dense.faiss     the same vectors in a faiss inner-product index: flat (exact) or, past
                    kb.search.index.HNSW_FROM_PASSAGES passages, HNSW (its efSearch kept)
    bm25/           the bm25s index of each entry's whole text
    query.json      the glossary's phrases and every indexed word, for understanding queries

The manifest is read at once (freshness checks need nothing else); the rest is read on
first use, so a caller pays only for the parts it needs. faiss and bm25s are imported
only when their files are loaded: they are slow to import and most commands never do.
What goes into the files is ``kb.search.index``'s business.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import numpy as np
import numpy.typing as npt

from kb.errors import WriteFailed
from kb.files import write_atomic
from kb.search.query import QueryData

if TYPE_CHECKING:
    import faiss


class Manifest(TypedDict):
    format: int
    passage_format: int
    model: str
    dimensions: int
    built_at: str
    build_seconds: float
    content_root: str
    entries: dict[str, str]  # entry id → content hash
    files: dict[str, list[int]]  # content file → [mtime_ns, size], for staleness
    passages: int
    index: NotRequired[str]  # the dense index's kind, FlatIP or HNSWFlat (absent before HNSW: FlatIP)
    vocabulary: dict[str, list[str]]  # filter name → the values it accepts
    onnx: str  # the query encoder's folder, relative to the data folder


class Record(TypedDict):
    """What a search result shows about an entry, so a query never reads YAML."""

    id: str
    type: str
    title: str
    organisation: str | None
    summary: str
    url: str
    facets: dict[str, list[str]]  # filter name → the values this entry carries
    evidence: str | None  # a case study's evidence level (kb.evidence), else None


class StoredPassage(TypedDict):
    entry_id: str
    field: str
    text: str


def current_dir(data_dir: Path) -> Path | None:
    """The live version's folder: the one ``CURRENT`` names, if it is complete."""
    pointer = data_dir / "CURRENT"
    if not pointer.exists():
        return None
    version = data_dir / pointer.read_text().strip()
    return version if (version / "manifest.json").exists() else None


class IndexVersion:
    """A version folder: its manifest read now, records, passages and indexes on demand."""

    def __init__(self, path: Path):
        self.path = path
        self.manifest: Manifest = json.loads((path / "manifest.json").read_text())

    @classmethod
    def current(cls, data_dir: Path) -> IndexVersion | None:
        """The live version of ``data_dir``, or None before the first build."""
        path = current_dir(data_dir)
        return cls(path) if path else None

    @property
    def onnx_dir(self) -> Path:
        """The query encoder exported with this version (it lives beside the versions)."""
        return self.path.parent / self.manifest["onnx"]

    @cached_property
    def records(self) -> list[Record]:
        records: list[Record] = json.loads((self.path / "records.json").read_text())
        return records

    @cached_property
    def position(self) -> dict[str, int]:
        """Entry id → its index in ``records`` (entries are numbered by it everywhere)."""
        return {r["id"]: i for i, r in enumerate(self.records)}

    @cached_property
    def passages(self) -> list[StoredPassage]:
        passages: list[StoredPassage] = json.loads((self.path / "passages.json").read_text())
        return passages

    @cached_property
    def passage_owner(self) -> npt.NDArray[np.int64]:
        """Passage row → the index of the entry it belongs to."""
        return np.array([self.position[p["entry_id"]] for p in self.passages], dtype=np.int64)

    @cached_property
    def rows_of(self) -> list[list[int]]:
        """Entry index → its passages' rows, in order."""
        rows: list[list[int]] = [[] for _ in self.records]
        for row, owner in enumerate(self.passage_owner.tolist()):
            rows[owner].append(row)
        return rows

    @cached_property
    def query_data(self) -> QueryData:
        data: QueryData = json.loads((self.path / "query.json").read_text())
        return data

    def vectors(self, mmap: bool = False) -> npt.NDArray[np.float32]:
        """The passages' vectors; ``mmap`` maps the file instead of reading it (a query
        touches only a few rows)."""
        vectors: npt.NDArray[np.float32] = np.load(self.path / "vectors.npy", mmap_mode="r" if mmap else None)
        return vectors

    def dense_index(self) -> faiss.Index:
        import faiss

        return faiss.read_index(str(self.path / "dense.faiss"))

    @property
    def index_kind(self) -> str:
        """The dense index's kind: ``FlatIP`` or ``HNSWFlat``."""
        return self.manifest.get("index", "FlatIP")

    def bm25_index(self) -> Any:  # bm25s.BM25: bm25s ships no type information
        import bm25s

        return bm25s.BM25.load(str(self.path / "bm25"), show_progress=False)


# --- making a version live ---------------------------------------------------------------

KEEP_VERSIONS = 3  # the live version and the two before it


def publish(data_dir: Path, version: str, write: Callable[[Path], None]) -> None:
    """``write`` the version into a hidden folder, rename it into place and point
    ``CURRENT`` at it: a build killed midway, or a full disk, leaves the live one as it was."""
    tmp = Path(tempfile.mkdtemp(dir=data_dir, prefix=f".{version}."))
    try:
        write(tmp)
        os.replace(tmp, data_dir / version)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):  # a full disk: the live version stays as it was
            raise WriteFailed(data_dir / version, exc) from None
        raise
    _point_current(data_dir, version)


def _point_current(data_dir: Path, version: str) -> None:
    """Switch ``CURRENT`` atomically, then remove all but the newest versions, and what
    builds killed midway left behind. (A published edition names its index version: a
    server may still be switching to one that is no longer current.)"""
    write_atomic(data_dir / "CURRENT", version)
    versions = sorted((p for p in data_dir.glob("index-*") if p.name != version), key=lambda p: p.name)
    for old in versions[: max(0, len(versions) - (KEEP_VERSIONS - 1))]:
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
