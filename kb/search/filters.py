"""Choosing the entries a query may return, before either ranker runs.

Filtering first (faiss searches only the allowed passages; BM25 scores are masked) means
``k=5`` with a filter still returns 5 when 5 exist, where filtering the top k afterwards
could return none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kb.search.version import Record

if TYPE_CHECKING:
    import faiss

MAX_CACHED = 256  # distinct type-and-filter choices kept; past it the cache starts again


@dataclass(frozen=True)
class Selection:
    """The allowed entries, their passages' rows and faiss's restriction to those rows."""

    entries: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int64]
    dense_params: faiss.SearchParameters | None  # None: every row (or none) is allowed


class Selections:
    """Works out each choice of type and filters once: the index is read-only, and
    building faiss's ID selector costs more than the search it restricts."""

    def __init__(self, records: list[Record], rows_of: list[list[int]], restrict: Callable[[npt.NDArray[np.int64]], faiss.SearchParameters | None]):
        self.records = records
        self.rows_of = rows_of
        self.restrict = restrict
        self._cache: dict[tuple[str | None, tuple[tuple[str, str], ...]], Selection] = {}

    def get(self, entry_type: str | None, filters: Mapping[str, str | None]) -> Selection:
        """Entries of ``entry_type`` ('all'/None = any) carrying every filter's value."""
        key = (entry_type, tuple(sorted((k, v) for k, v in filters.items() if v is not None)))
        selection = self._cache.get(key)
        if selection is None:
            if len(self._cache) > MAX_CACHED:
                self._cache.clear()
            selection = self._cache[key] = self._select(*key)
        return selection

    def _select(self, entry_type: str | None, filters: tuple[tuple[str, str], ...]) -> Selection:
        keep = [i for i, record in enumerate(self.records) if _matches(record, entry_type, filters)]
        rows = np.concatenate([np.asarray(self.rows_of[i], dtype=np.int64) for i in keep]) if keep else np.array([], dtype=np.int64)
        return Selection(np.array(keep, dtype=np.int64), rows, self.restrict(rows))


def _matches(record: Record, entry_type: str | None, filters: tuple[tuple[str, str], ...]) -> bool:
    return entry_type in (None, "all", record["type"]) and all(value in record["facets"].get(name, []) for name, value in filters)
