"""Evaluation metrics and the query file."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.search.evaluate import EvalFileError, Scores, load_queries, ndcg
from tests.conftest import paths


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
    ids = {p.stem for p in (root / "content").glob("*/*.yaml")}  # a query may be answered by any entry type
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


QUERY_FILE = """\
queries:
  - query: "teaching nursing home staff about memory loss"
    relevant: {dementia-outreach: 3}
  - query: "dementai training in care homes"
    relevant: {dementia-outreach: 3}
    kind: typo
  - query: "frail older people skills"
    relevant: {frailty-planning: 3}
    kind: typo
  - query: "budgets held apart"
    relevant: {money-flows: 3}
    kind: other-type
    type: barrier
"""


def test_eval_reports_each_kind_and_mode_and_how_honest_search_is(tmp_path: Path, fresh_mini) -> None:
    (tmp_path / "q.yaml").write_text(QUERY_FILE)
    (tmp_path / "off_topic.yaml").write_text('queries:\n  - "staff canteen opening hours"\n  - query: "hospital car parking charges"\n')
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "q.yaml"), "--json", *paths(*fresh_mini)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["queries"] == 4 and list(report["kinds"]) == ["plain", "other-type", "typo"]  # plain first
    assert report["kinds"]["typo"]["queries"] == 2 and set(report["kinds"]["typo"]["modes"]) == {"bm25", "dense", "hybrid"}
    assert report["kinds"]["other-type"]["modes"]["hybrid"]["hit1"] == 1.0  # searched among barriers, as its type says
    assert report["kinds"]["typo"]["modes"]["bm25"]["hit1"] == 1.0  # "dementai" corrected
    honesty = report["honesty"]  # off_topic.yaml beside the query file is used without asking
    assert honesty["off_topic"] == 2 and honesty["off_topic_flagged"] == 2 and honesty["answerable"] == 4
    shown = CliRunner().invoke(app, ["eval", str(tmp_path / "q.yaml"), *paths(*fresh_mini)], env={"COLUMNS": "100"})
    assert "Per kind of query" in shown.stdout and "No close match said for 2 of 2 off-topic challenges" in shown.stdout


def test_a_query_with_an_unknown_type_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "q.yaml"
    bad.write_text("queries:\n  - query: x\n    relevant: {a: 3}\n    type: barriers\n")
    with pytest.raises(EvalFileError, match="query 1: 'kind' must be text and 'type' one of case-study"):
        load_queries(bad, {"a"})
