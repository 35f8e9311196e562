"""Index builds embed with the ONNX export: it must agree with sentence-transformers on
the real content, passage by passage and in what search returns."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from kb.content import load_content
from kb.core import KnowledgeBase
from kb.search import index
from kb.search.dense import DenseRanker
from kb.search.encoder import OnnxEncoder, SentenceTransformerEncoder, document_encoder
from kb.search.evaluate import load_queries
from kb.search.explain import Result
from kb.search.filters import Selections
from kb.search.searcher import Searcher
from tests.conftest import REAL_CONTENT, ROOT

# Measured on the real content's 413 passages: the lowest cosine between the two
# encoders' vectors is 0.9999999 and no component differs by more than 2e-7 (float32
# rounding; padding in a batch changes nothing the mask does not hide). 0.99999 leaves a
# hundredfold margin; a passage embedded wrongly (truncated, pooled over padding, another
# model) scores far lower.
AGREE = 0.99999


@pytest.fixture(scope="module")
def both(real_index: Path) -> tuple[index._Plan, np.ndarray, np.ndarray]:
    """The real passages as a build embeds them with the ONNX export (batched, shortest
    first), and as sentence-transformers embeds them."""
    content, _ = load_content(REAL_CONTENT)
    entries = content.published()
    plan = index._plan(entries, {e.id: "" for e in entries}, {}, {})
    onnx = np.zeros((len(plan.passages), 384), dtype=np.float32)
    index._embed(OnnxEncoder(index.onnx_dir(real_index, "all-MiniLM-L6-v2")), plan, onnx, None)
    torch = SentenceTransformerEncoder().encode(plan.inputs)
    return plan, onnx, torch


def test_onnx_batches_agree_with_sentence_transformers_on_every_real_passage(both) -> None:
    plan, onnx, torch = both
    assert len(plan.passages) > 300
    cosines = (onnx * torch).sum(axis=1)
    assert cosines.min() >= AGREE, f"passage {int(cosines.argmin())}: cosine {cosines.min():.6f}"


def test_search_answers_the_same_with_either_encoders_vectors(real_index: Path, both) -> None:
    """The eval queries' top 5 (hybrid and dense) are the same entries with the same scores
    whichever encoder embedded the passages, bar the order of entries tied on score."""
    _, _, torch = both
    searcher = KnowledgeBase.open(REAL_CONTENT, real_index).searcher()
    assert np.allclose(searcher.version.vectors(), both[1], atol=1e-4)  # the real build embeds with ONNX
    import faiss

    flat = faiss.IndexFlatIP(torch.shape[1])
    flat.add(torch)
    other: Searcher = copy.copy(searcher)
    other.dense = DenseRanker(flat, searcher.version.passage_owner, torch)
    other.selections = Selections(searcher.version.records, searcher.version.rows_of, other.dense.restrict)
    queries = load_queries(ROOT / "tests" / "eval" / "queries.yaml")
    assert len(queries) >= 100
    for mode in ("hybrid", "dense"):
        for q in queries:
            ours, theirs = (s.search(q.text, k=6, mode=mode) for s in (searcher, other))
            assert [r.score for r in ours[:5]] == pytest.approx([r.score for r in theirs[:5]], abs=TIE), (mode, q.text)
            assert _top5(ours) == _top5(theirs), (mode, q.text)


TIE = 1e-3  # fused scores this close are a tie: vectors agreeing to 1e-7 may order them either way


def _top5(results: list[Result]) -> list[tuple[float, str]]:
    """The top 5 as (score, id), entries tied on score in id order; entries tied with the
    fifth may trade places with the sixth, so only those clearly above it are compared."""
    cut = results[4].score + TIE if len(results) > 5 and results[4].score - results[5].score < TIE else -1.0
    return sorted((-round(r.score / TIE) * TIE, r.id) for r in results[:5] if r.score > cut)


def test_builds_use_the_onnx_export_once_it_exists(real_index: Path, tmp_path: Path) -> None:
    assert isinstance(document_encoder(index.onnx_dir(real_index, "all-MiniLM-L6-v2")), OnnxEncoder)
    # Without an export, sentence-transformers (the build then exports it: tests/search/test_searcher.py).
    assert isinstance(document_encoder(tmp_path / "no-export"), SentenceTransformerEncoder)
