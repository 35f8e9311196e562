"""`kb gaps`: searches with no close match, counted by query text only, kept a set time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb import gaps
from kb.cli import app
from kb.core import KnowledgeBase
from tests.conftest import paths

runner = CliRunner()
DAY = dt.date(2026, 11, 29)


def test_queries_are_counted_by_their_text_most_frequent_first(tmp_path: Path) -> None:
    for query in ["staff canteen hours", "Staff  canteen HOURS", "car parking", "staff canteen hours"]:
        gaps.record(tmp_path, query, 0.1, DAY)
    gaps.record(tmp_path, "car parking", 0.2, DAY + dt.timedelta(days=1))
    found = gaps.most_frequent(tmp_path, today=DAY + dt.timedelta(days=1))
    assert [(g.query, g.count) for g in found] == [("staff canteen hours", 3), ("car parking", 2)]
    assert found[1].first_seen == "2026-11-29" and found[1].last_seen == "2026-11-30" and found[1].best_relevance == 0.2
    stored = json.loads((tmp_path / gaps.GAPS_FILE).read_text())
    assert {key for gap in stored["gaps"] for key in gap} == {"query", "count", "first_seen", "last_seen", "best_relevance"}


def test_a_query_not_asked_for_the_kept_time_is_forgotten(tmp_path: Path) -> None:
    gaps.record(tmp_path, "old question", 0.1, DAY)
    later = DAY + dt.timedelta(days=gaps.KEEP_DAYS + 1)
    assert gaps.most_frequent(tmp_path, today=DAY + dt.timedelta(days=gaps.KEEP_DAYS)) != []
    assert gaps.most_frequent(tmp_path, today=later) == []
    gaps.record(tmp_path, "new question", 0.1, later)
    assert "old question" not in (tmp_path / gaps.GAPS_FILE).read_text()  # gone from the file too


def test_the_file_keeps_at_most_a_set_number_of_queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gaps, "MAX_QUERIES", 3)
    for n in range(5):
        gaps.record(tmp_path, f"question {n}", 0.1, DAY + dt.timedelta(days=n))
    assert sorted(g.query for g in gaps.most_frequent(tmp_path, today=DAY + dt.timedelta(days=5))) == ["question 2", "question 3", "question 4"]


def test_a_damaged_file_is_never_overwritten_and_never_fails_a_search(fresh_mini) -> None:
    content, data = fresh_mini
    damaged = '{"gaps": [{"query": 1}'
    (data / gaps.GAPS_FILE).write_text(damaged)
    with pytest.raises(gaps.GapsDamaged, match=r"gaps\.json:1:"):
        gaps.record(data, "car parking", 0.1)
    notices: list[str] = []
    answer = KnowledgeBase.open(content, data).answer("hospital car parking charges", notice=notices.append)
    assert answer.no_close_match and "not counted in kb gaps" in notices[0]
    assert (data / gaps.GAPS_FILE).read_text() == damaged
    shown = runner.invoke(app, ["gaps", *paths(content, data)])
    assert shown.exit_code == 2 and "gaps.json:1:" in shown.output and "move it aside" in shown.output


def test_kb_find_counts_searches_with_no_close_match_and_kb_gaps_lists_them(fresh_mini) -> None:
    content, data = fresh_mini
    for query in ["staff canteen opening hours", "staff canteen opening hours", "dementia outreach training for care home staff"]:
        assert runner.invoke(app, ["find", query, *paths(content, data)]).exit_code == 0
    assert runner.invoke(app, ["find", "hospital car parking charges", "--no-gaps", *paths(content, data)]).exit_code == 0
    assert runner.invoke(app, ["find", "printer toner ordering", *paths(content, data)], env={"KB_GAPS": "off"}).exit_code == 0
    listed = json.loads(runner.invoke(app, ["gaps", "--json", *paths(content, data)]).stdout)
    assert [(g["query"], g["count"]) for g in listed] == [("staff canteen opening hours", 2)]
    table = runner.invoke(app, ["gaps", *paths(content, data)], env={"COLUMNS": "100"})
    assert table.exit_code == 0 and "staff canteen opening hours" in table.stdout


def test_no_gaps_yet_is_said_plainly(fresh_mini) -> None:
    result = runner.invoke(app, ["gaps", *paths(*fresh_mini)])
    assert result.exit_code == 0 and "No searches without a close match" in result.stdout
