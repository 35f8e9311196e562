"""Embedding the queries of concurrent requests together.

One ONNX call for a batch of queries costs little more than for one, and the two cores
are shared by every request, so under load the server embeds whatever queries are waiting
in a single call. A lone request waits only one event-loop turn. Recent queries'
vectors are kept (the index is read-only, so a query's vector never changes): popular
challenges are answered without running the model.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Protocol

import numpy as np


class Encodes(Protocol):
    """All the batcher needs of an encoder (kb.search.encoder.Encoder, or a test's)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


class QueryBatcher:
    """Collects query texts from concurrent requests; embeds them one batch at a time."""

    def __init__(self, encoder: Encodes, max_batch: int = 32, cache_size: int = 1024):
        self.encoder = encoder
        self.max_batch = max_batch
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size
        self.pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self.busy = False

    async def embed(self, text: str) -> np.ndarray:
        if text in self.cache:
            self.cache.move_to_end(text)
            return self.cache[text]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self.pending.append((text, future))
        if not self.busy and len(self.pending) == 1:
            loop.call_soon(self._flush)  # let this loop turn's other arrivals join the batch
        return await future

    def _flush(self) -> None:
        if self.busy or not self.pending:
            return
        self.busy = True
        batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(None, self.encoder.encode, [text for text, _ in batch])
        work.add_done_callback(lambda done: self._deliver(batch, done))

    def _deliver(self, batch: list[tuple[str, asyncio.Future[np.ndarray]]], done: asyncio.Future[np.ndarray]) -> None:
        self.busy = False
        error = done.exception()
        for i, (_, future) in enumerate(batch):
            if future.cancelled():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                self._remember(batch[i][0], done.result()[i])
                future.set_result(done.result()[i])
        self._flush()  # whatever arrived meanwhile goes in the next batch

    def _remember(self, text: str, vector: np.ndarray) -> None:
        if self.cache_size <= 0:
            return
        self.cache[text] = vector
        if len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
