"""Evaluation metrics and the query file."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.search.evaluate import EvalFileError, Scores, load_queries, ndcg


def test_metrics_on_a_known_ranking() -> None:
    runs = [(["x", "a", "b"], {"a": 3}), (["a"], {"a": 1}), (["x", "y"], {"a": 2})]
    s = Scores.of(runs)
    assert s.hit1 == pytest.approx(1 / 3) and s.hit3 == pytest.approx(2 / 3)
    assert s.mrr == pytest.approx((0.5 + 1 + 0) / 3)


def test_ndcg_prefers_the_best_grade_first() -> None:
    assert ndcg(["a", "b"], {"a": 3, "b": 1}) == pytest.approx(1.0)
    assert ndcg(["b", "a"], {"a": 3, "b": 1}) < 1.0
    assert ndcg(["z"], {"a": 3}) == 0.0


def test_shipped_query_file_is_big_enough_and_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    ids = {p.stem for p in (root / "content" / "case_studies").glob("*.yaml")}
    queries = load_queries(root / "tests" / "eval" / "queries.yaml", ids)
    assert len(queries) >= 25
    assert all(3 in q.relevant.values() for q in queries)


def test_bad_query_file_is_a_clear_error(tmp_path: Path, fresh_mini) -> None:
    bad = tmp_path / "q.yaml"
    bad.write_text("queries:\n  - query: x\n    relevant: {nope: 3}\n")
    with pytest.raises(EvalFileError, match="unknown entry id"):
        load_queries(bad, {"a"})
    result = CliRunner().invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2 and "unknown entry id(s) nope" in result.output
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "no query file" in result.output
