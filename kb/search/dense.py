"""The dense ranker: passage vectors in a faiss inner-product index, flat or HNSW.

An entry scores by its best passage (the evaluation found this beats one vector per
entry: long entries blur into an average). faiss returns passages, so it is asked for
more than ``k`` and widened until ``k`` distinct entries are found.

A big index is HNSW (``kb.search.index.HNSW_FROM_PASSAGES``). HNSW restricted to a few
rows misses most of them (its graph walk stops among the rows it may not return), so a
filtered search over at most ``EXACT_FILTERED_ROWS`` rows is done exactly on the vectors
HNSW stores (a flat index of them); a broader one searches the graph with the filter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from kb.search.filters import Selection

if TYPE_CHECKING:
    import faiss

# A filtered search over this many rows or fewer is exact even on an HNSW index: the same
# size below which a whole index is flat (exact search is fast enough there).
EXACT_FILTERED_ROWS = 20_000


class DenseRanker:
    """Best-passage cosine per entry; passages are rows, ``owner[row]`` their entry."""

    def __init__(self, index: faiss.Index, owner: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]):
        import faiss

        self.index = index
        hnsw = getattr(index, "hnsw", None)
        self.ef_search = int(hnsw.efSearch) if hnsw is not None else 0  # 0: a flat index
        # The exact index: the flat index itself, or the vectors an HNSW index stores.
        self.exact: faiss.Index = faiss.downcast_index(index.storage) if hnsw is not None else index  # type: ignore[attr-defined]
        self.owner = owner
        self.vectors = vectors  # the same vectors as the index, for centres
        self.faiss: Any = faiss  # its stubs lack the HNSW search parameters

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def restrict(self, rows: npt.NDArray[np.int64]) -> faiss.SearchParameters | None:
        """faiss's parameters limiting a search to ``rows``; None when nothing needs
        limiting (every row allowed, or none, which is never searched)."""
        if not 0 < len(rows) < len(self):
            return None
        selector = self.faiss.IDSelectorBatch(rows)
        if self.ef_search and len(rows) > EXACT_FILTERED_ROWS:
            params: faiss.SearchParameters = self.faiss.SearchParametersHNSW(sel=selector, efSearch=self.ef_search)
        else:
            params = self.faiss.SearchParameters(sel=selector)  # exact: see the module's docstring
        return params

    def scores(self, vector: npt.NDArray[np.float32], selection: Selection, k: int) -> tuple[dict[int, float], dict[int, int]]:
        """Entry → best passage cosine, for at least the top ``k`` allowed entries; and
        entry → that passage's row."""
        rows = selection.rows
        if len(rows) == 0:
            return {}, {}
        wanted = min(len(rows), max(64, k * 16))
        while True:
            best, where = self._best_passages(vector, wanted, selection.dense_params)
            if len(best) >= min(k, len(selection.entries)) or wanted >= len(rows):
                return best, where
            wanted = min(len(rows), wanted * 4)

    def _best_passages(self, vector: npt.NDArray[np.float32], wanted: int, params: faiss.SearchParameters | None) -> tuple[dict[int, float], dict[int, int]]:
        # One query vector a call: faiss searches several with OpenMP, whose threads then
        # spin and slowed the next query's embedding by ~0.5 ms on 2 cores.
        exact = params is not None and not isinstance(params, self.faiss.SearchParametersHNSW)
        sims, ids = (self.exact if exact else self.index).search(vector.reshape(1, -1), wanted, params=params)
        found = ids[0] >= 0  # fewer allowed rows than asked for leave -1s
        sims, ids = sims[0][found], ids[0][found]
        # faiss lists hits best first: each entry's first hit is its best passage.
        entries, first = np.unique(self.owner[ids], return_index=True)
        return (
            dict(zip(entries.tolist(), sims[first].tolist(), strict=True)),
            dict(zip(entries.tolist(), ids[first].tolist(), strict=True)),
        )

    def centre(self, rows: list[int]) -> npt.NDArray[np.float32]:
        """The normalised mean of these passages' vectors: an entry as a whole."""
        centre = np.asarray(self.vectors[rows].mean(axis=0), dtype=np.float32)
        centre /= np.linalg.norm(centre) or 1.0
        return centre
