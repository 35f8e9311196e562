"""Batched query embedding for concurrent API requests."""

from __future__ import annotations

import asyncio

import numpy as np

from kb.search import index
from kb.search.encoder import OnnxEncoder
from kb.web.batching import QueryBatcher


class Counting:
    """The real ONNX encoder, counting its calls and batch sizes."""

    def __init__(self, encoder: OnnxEncoder):
        self.encoder = encoder
        self.batches: list[int] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.batches.append(len(texts))
        return self.encoder.encode(texts)


def test_concurrent_queries_share_a_batch_and_get_their_own_vectors(built_mini) -> None:
    _, data = built_mini
    encoder = Counting(OnnxEncoder(index.onnx_dir(data, "all-MiniLM-L6-v2")))
    batcher = QueryBatcher(encoder)
    texts = [f"query number {i} about {word}" for i, word in enumerate(["frailty", "dementia care homes", "pooled budgets", "rural GP", "telehealth"] * 4)]

    async def all_at_once() -> list[np.ndarray]:
        return await asyncio.gather(*(batcher.embed(t) for t in texts))

    vectors = asyncio.run(all_at_once())
    assert sum(encoder.batches) == len(texts) and len(encoder.batches) < len(texts)  # batched
    alone = encoder.encoder.encode(texts)
    assert np.abs(np.vstack(vectors) - alone).max() < 1e-5  # padding in a batch changes nothing


def test_repeated_queries_come_from_the_cache(built_mini) -> None:
    _, data = built_mini
    encoder = Counting(OnnxEncoder(index.onnx_dir(data, "all-MiniLM-L6-v2")))
    batcher = QueryBatcher(encoder, cache_size=2)

    async def run() -> None:
        first = await batcher.embed("frailty workforce")
        again = await batcher.embed("frailty workforce")
        assert np.array_equal(first, again)
        await batcher.embed("b")
        await batcher.embed("c")  # evicts the oldest
        await batcher.embed("frailty workforce")

    asyncio.run(run())
    assert encoder.batches == [1, 1, 1, 1]


def test_encoder_errors_reach_every_waiting_request() -> None:
    class Broken:
        def encode(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("model gone")

    batcher = QueryBatcher(Broken())

    async def run() -> list[object]:
        return await asyncio.gather(batcher.embed("a"), batcher.embed("b"), return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, RuntimeError) for r in results)
