"""Past a number of passages the dense index is HNSW: tested at a low threshold on the
real content, against the flat index of the same vectors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.content import load_content
from kb.core import KnowledgeBase
from kb.search import dense, index
from kb.search.evaluate import load_queries
from kb.search.version import IndexVersion
from tests.conftest import REAL_CONTENT, ROOT


def no_encoder() -> index.Encoder:
    raise AssertionError("every vector is reused: nothing is embedded")


@pytest.fixture(scope="module")
def hnsw_data(real_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real index rebuilt with HNSW from one passage (its vectors reused)."""
    data = tmp_path_factory.mktemp("hnsw") / ".kb"
    shutil.copytree(real_index, data, ignore=shutil.ignore_patterns("onnx", "gaps.json"))
    (data / "onnx").symlink_to(real_index / "onnx")
    content, _ = load_content(REAL_CONTENT)
    report = index.build(content, data, no_encoder, hnsw_from=1)
    assert report.index == "HNSWFlat" and report.embedded == 0
    return data


def test_small_index_is_flat_and_big_one_hnsw(real_index: Path, hnsw_data: Path) -> None:
    assert index.HNSW_FROM_PASSAGES >= 10_000
    flat, hnsw = IndexVersion.current(real_index), IndexVersion.current(hnsw_data)
    assert flat.index_kind == "FlatIP" and flat.manifest["passages"] < index.HNSW_FROM_PASSAGES
    assert hnsw.index_kind == "HNSWFlat" and hnsw.manifest["index"] == "HNSWFlat"
    loaded = hnsw.dense_index()
    assert type(loaded).__name__ == "IndexHNSWFlat"
    assert loaded.hnsw.efSearch == index.HNSW_EF_SEARCH  # kept in the file
    assert loaded.ntotal == flat.manifest["passages"]


def eval_queries() -> list[str]:
    return [q.text for q in load_queries(ROOT / "tests" / "eval" / "queries.yaml")]


def test_hnsw_answers_the_eval_queries_as_flat_does(real_index: Path, hnsw_data: Path) -> None:
    flat = KnowledgeBase.open(REAL_CONTENT, real_index).searcher()
    hnsw = KnowledgeBase.open(REAL_CONTENT, hnsw_data).searcher()
    assert hnsw.dense.ef_search == index.HNSW_EF_SEARCH
    for q in eval_queries():
        for mode in ("hybrid", "dense"):
            assert [r.id for r in hnsw.search(q, k=5, mode=mode)] == [r.id for r in flat.search(q, k=5, mode=mode)], (q, mode)
    assert [r.id for r in hnsw.similar("isle-of-wight-care-navigators")] == [r.id for r in flat.similar("isle-of-wight-care-navigators")]


@pytest.mark.parametrize("graph", [False, True], ids=["exact-filtered", "hnsw-filtered"])
def test_filtered_searches_on_hnsw_return_only_allowed_entries(real_index: Path, hnsw_data: Path, graph: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A few allowed rows are searched exactly; with the limit at 0 every filtered search
    walks the graph with faiss's ID selector. Either way: only allowed entries, all of them
    when fewer than k, and the widening loop ends."""
    if graph:
        monkeypatch.setattr(dense, "EXACT_FILTERED_ROWS", 0)
    flat = KnowledgeBase.open(REAL_CONTENT, real_index)
    hnsw = KnowledgeBase.open(REAL_CONTENT, hnsw_data)
    searcher = hnsw.searcher()
    for name in ("theme", "enabler", "barrier"):
        for value in searcher.manifest["vocabulary"][name][:6]:
            allowed = {e.id for e in hnsw.entries("case-study", **{name: value})}
            for q in ("frailty workforce", "pooled budget between council and CCG"):
                for mode in ("hybrid", "dense"):
                    got = [r.id for r in searcher.search(q, k=5, mode=mode, filters={name: value})]
                    assert set(got) <= allowed, (name, value, q)
                    assert len(got) == min(5, len(allowed)), (name, value, q, mode)
                    if not graph:
                        want = [r.id for r in flat.searcher().search(q, k=5, mode=mode, filters={name: value})]
                        assert got == want
