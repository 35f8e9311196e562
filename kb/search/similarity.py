"""Near-duplicate detection: how alike two entries are, as a whole.

An entry's vector is the mean of its passages' vectors (each passage embedded as the
index embeds it, title first), normalised: the same centre ``Searcher.similar`` uses.
Two entries' similarity is the cosine of their centres, compared within one entry type.
The threshold was measured on the real content (``bench/similarity_threshold.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.search.version import IndexVersion, Record

if TYPE_CHECKING:
    from kb.content import Content
    from kb.models import EntryBase
    from kb.search.encoder import Encoder

# Measured by bench/similarity_threshold.py on the 91 real entries: the closest of the 817
# pairs of distinct same-type entries is 0.875 (p95 of each entry's closest 0.819), while
# 98.2% of 273 lightly edited copies (a sentence dropped, words lost, synonyms swapped)
# score 0.89 or more (median 0.98). 0.89 keeps a margin over real pairs as the content
# grows and still flags nearly every resubmission; a missed one still meets a reviewer.
SIMILAR_THRESHOLD = 0.89
MAX_EMBED = 20  # entries a check embeds itself (drafts, edits since the build); more: run kb index


@dataclass(frozen=True)
class SimilarEntry:
    """An existing entry very like the one being checked."""

    id: str
    type: str
    title: str
    similarity: float

    def message(self, subject: str) -> str:
        return f"{subject} is very similar to '{self.id}' ({self.title}): similarity {self.similarity:.2f}; check it is not a duplicate"


def normalise(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm else vector).astype(np.float32)


_ENCODING = threading.Lock()  # the API embeds submissions from worker threads; one at a time
# Entries not in the index (drafts, edits since the build) embedded once per process, not
# once per submission: keyed by encoder and content hash, so a changed entry is redone.
_EMBEDDED: dict[tuple[str, str], np.ndarray] = {}
_EMBEDDED_MAX = 2000


def entry_vector(entry: EntryBase, encoder: Encoder) -> np.ndarray:
    """Embed an entry the way the index does and return its normalised centre."""
    from kb.content import entry_hash
    from kb.search.passages import passage_input, passages

    key = (str(getattr(encoder, "name", type(encoder).__name__)), entry_hash(entry))
    with _ENCODING:
        if key not in _EMBEDDED:
            texts = [passage_input(entry, p) for p in passages(entry)] or [entry.title]
            if len(_EMBEDDED) >= _EMBEDDED_MAX:
                _EMBEDDED.clear()
            _EMBEDDED[key] = normalise(np.asarray(encoder.encode(texts), dtype=np.float32).mean(axis=0))
        return _EMBEDDED[key]


def centres(vectors: np.ndarray, owners: Iterable[int], count: int) -> np.ndarray:
    """Normalised mean of each owner's passage vectors (``owners[row]`` = owner index).

    Summing is enough: normalising afterwards gives the mean's direction."""
    out = np.zeros((count, vectors.shape[1]), dtype=np.float32)
    for row, owner in enumerate(owners):
        out[owner] += vectors[row]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1.0, norms)


@dataclass
class Catalogue:
    """Every indexed entry's centre, read straight from the index files: no faiss, no BM25
    and no encoder, so it is cheap enough for `kb validate`."""

    records: list[Record]
    vectors: np.ndarray  # one normalised row per record
    hashes: dict[str, str]  # entry id -> content hash when indexed (to spot stale rows)
    onnx: Path  # the index's exported query encoder

    def __post_init__(self) -> None:
        self.position = {r["id"]: i for i, r in enumerate(self.records)}

    @classmethod
    def load(cls, data_dir: Path) -> Catalogue | None:
        version = IndexVersion.current(data_dir)
        if version is None:
            return None
        records = version.records
        vectors = centres(version.vectors(), version.passage_owner.tolist(), len(records))
        return cls(records, vectors, version.manifest.get("entries", {}), version.onnx_dir)

    def vector(self, entry: EntryBase) -> np.ndarray | None:
        """The entry's centre as indexed, if the index holds this very version of it."""
        from kb.content import entry_hash

        where = self.position.get(entry.id)
        if where is None or self.hashes.get(entry.id) != entry_hash(entry):
            return None
        vector: np.ndarray = self.vectors[where]
        return vector

    def encoder(self) -> Encoder | None:
        """The ONNX query encoder exported with the index; None rather than load torch."""
        from kb.search.encoder import OnnxEncoder, exported

        return OnnxEncoder(self.onnx) if exported(self.onnx) else None


def content_vectors(
    content: Content, catalogue: Catalogue, encoder: Encoder | None = None, limit: int = MAX_EMBED
) -> tuple[dict[str, np.ndarray], Encoder | None, list[str]]:
    """Every entry's centre: from the index when unchanged since the build, else embedded
    now with the ONNX encoder, at most ``limit`` of them (a stale index should not make a
    check slow). Returns the vectors, the encoder (if one was needed) and notes on gaps."""
    vectors: dict[str, np.ndarray] = {}
    todo: list[EntryBase] = []
    for entry in content.entries.values():
        known = catalogue.vector(entry)
        if known is not None:
            vectors[entry.id] = known
        else:
            todo.append(entry)
    notes = []
    if todo:
        # No encoder for too many: it would go unused, and its loader thread still
        # running at exit can abort the process.
        encoder = encoder or (catalogue.encoder() if len(todo) <= limit else None)
        if encoder is None or len(todo) > limit:
            notes.append(f"{len(todo)} entries changed since the search index was built were not compared for duplicates (run `kb index`)")
            return vectors, encoder, notes
        for entry in todo:
            vectors[entry.id] = entry_vector(entry, encoder)
    return vectors, encoder, notes


def similar_to(
    entry: EntryBase, content: Content, data_dir: Path, encoder: Encoder | None = None, threshold: float = SIMILAR_THRESHOLD
) -> tuple[list[SimilarEntry], list[str]]:
    """Entries of ``content`` (same type, other id) very like ``entry``: a new entry or a
    submission. Returns them, most similar first, and notes on what was not compared."""
    catalogue = Catalogue.load(data_dir)
    if catalogue is None:
        return [], ["no search index yet, so similar entries were not looked for (run `kb index`)"]
    vectors, encoder, notes = content_vectors(content, catalogue, encoder)
    encoder = encoder or catalogue.encoder()
    if encoder is None:
        return [], [*notes, "the index has no ONNX encoder, so similar entries were not looked for (run `kb index --force`)"]
    mine = entry_vector(entry, encoder)
    found = []
    for other_id, vector in vectors.items():
        other = content.entries[other_id]
        score = float(vector @ mine)
        if other.type == entry.type and other.id != entry.id and score >= threshold:
            found.append(SimilarEntry(other.id, other.type, other.title, round(score, 3)))
    return sorted(found, key=lambda f: (-f.similarity, f.id)), notes


def similar_to_draft(draft: EntryBase, content: Content, version: IndexVersion, encoder: Encoder, threshold: float = SIMILAR_THRESHOLD) -> list[SimilarEntry]:
    """Indexed entries of the draft's type very like an unfinished entry, each compared on
    the fields the draft has so far: a draft of a title and a summary against the others'
    titles and summaries, since a whole entry's centre drifts away from any one part of it
    (a copied title and summary scored 0.73 to 0.88 against the whole entry's centre).
    ``version`` is the index a searcher has loaded: its passages are read once, not per call."""
    from kb.search.passages import passages

    fields = {p.field for p in passages(draft)}
    if not fields:
        return []
    mine = entry_vector(draft, encoder)
    vectors = version.vectors(mmap=True)
    rows: dict[str, list[int]] = {}
    for row, passage in enumerate(version.passages):
        if passage["field"] in fields:
            rows.setdefault(passage["entry_id"], []).append(row)
    found = []
    for entry_id, kept in rows.items():
        other = content.entries.get(entry_id)
        if other is None or other.type != draft.type or other.status == "draft":
            continue
        score = float(normalise(np.asarray(vectors[kept].mean(axis=0))) @ mine)
        if score >= threshold:
            found.append(SimilarEntry(other.id, other.type, other.title, round(score, 3)))
    return sorted(found, key=lambda f: (-f.similarity, f.id))


@dataclass(frozen=True)
class SimilarPair:
    """Two entries of the content folder that look like duplicates of each other."""

    path: str
    entry_id: str
    other: SimilarEntry

    def __str__(self) -> str:
        return f"{self.path}: warning: {self.other.message(repr(self.entry_id))}"


def similar_pairs(content: Content, data_dir: Path, threshold: float = SIMILAR_THRESHOLD) -> tuple[list[SimilarPair], list[str]]:
    """Pairs of entries in ``content`` very like each other, for `kb validate`.

    Cheap and optional: the index's stored vectors for unchanged entries and the ONNX
    encoder (never torch) for drafts and a few changed entries. Returns the pairs and
    notes on what could not be compared.
    """
    from kb.content import _display

    catalogue = Catalogue.load(data_dir)
    if catalogue is None:
        return [], ["no search index yet, so entries were not compared for duplicates (run `kb index`)"]
    vectors, _, notes = content_vectors(content, catalogue)
    pairs = []
    ids = sorted(vectors)
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            a, b = content.entries[first], content.entries[second]
            score = float(vectors[first] @ vectors[second])
            if a.type == b.type and score >= threshold:
                pairs.append(SimilarPair(_display(content.files[second]), second, SimilarEntry(a.id, a.type, a.title, round(score, 3))))
    return sorted(pairs, key=lambda p: (-p.other.similarity, p.entry_id)), notes
