"""The CLI's foundation commands, through typer's runner and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from kb.cli import app
from kb.terminal import snippet
from tests.conftest import KB, env_with, paths

runner = CliRunner()


def test_validate_clean(mini_content: Path) -> None:
    result = runner.invoke(app, ["validate", "--content", str(mini_content)])
    assert result.exit_code == 0, result.output
    assert "7 entries valid" in result.output


def test_validate_reports_located_problems_and_exits_1(mini_content: Path) -> None:
    path = mini_content / "case_studies" / "navigators.yaml"
    path.write_text(path.read_text().replace("approach:", "approch:"))
    result = runner.invoke(app, ["validate", "--content", str(mini_content)])
    assert result.exit_code == 1
    assert "navigators.yaml:" in result.output and "unknown key 'approch' (did you mean 'approach'?)" in result.output
    assert "Traceback" not in result.output


def test_list_json_is_stable(mini_content: Path) -> None:
    result = runner.invoke(app, ["list", "--type", "case-study", "--json", "--content", str(mini_content)])
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert [i["id"] for i in items] == ["dementia-outreach", "frailty-planning", "rural-telemedicine", "navigators"]
    assert items[0] == {
        "id": "dementia-outreach",
        "type": "case-study",
        "title": "Dementia outreach team trains care home staff",
        "organisation": "City CCG",
        "summary": items[0]["summary"],
        "url": "case-studies/dementia-outreach/",
    }


def test_list_table_for_people(mini_content: Path) -> None:
    result = runner.invoke(app, ["list", "--content", str(mini_content)])
    assert result.exit_code == 0
    assert "rural-telemedicine" in result.stdout and "Island Partnership" in result.stdout and "7 entries" in result.stdout


def test_unknown_type_and_id_exit_2(mini_content: Path) -> None:
    result = runner.invoke(app, ["list", "--type", "case-studdy", "--content", str(mini_content)])
    assert result.exit_code == 2
    assert "unknown type 'case-studdy' (did you mean 'case-study'?)" in result.output
    result = runner.invoke(app, ["show", "navigatorz", "--content", str(mini_content)])
    assert result.exit_code == 2
    assert "no entry with id 'navigatorz' (did you mean 'navigators'?)" in result.output


def test_show_panel_and_json(mini_content: Path) -> None:
    result = runner.invoke(app, ["show", "dementia-outreach", "--content", str(mini_content)])
    assert result.exit_code == 0
    assert "Population health" in result.stdout and "not reported" in result.stdout and "12 homes" in result.stdout
    data = json.loads(runner.invoke(app, ["show", "dementia-outreach", "--json", "--content", str(mini_content)]).stdout)
    assert data["metrics"][0]["as_reported"] == "12 homes"
    assert data["url"] == "case-studies/dementia-outreach/"


def hedge_and_caveat(content: Path) -> None:
    """Give the mini content a hedged figure and caveats on the source, entry and metric."""
    import yaml

    path = content / "case_studies" / "dementia-outreach.yaml"
    data = yaml.safe_load(path.read_text())
    data["metrics"][0].update(as_reported="almost 12 homes", qualifier="almost", caveats=[{"text": "Counted by the team itself."}])
    data["caveats"] = [{"text": "A pilot in one city."}]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    sources = yaml.safe_load((content / "sources.yaml").read_text())
    sources["documents"][0]["caveats"] = [{"text": "Too early to judge.", "source": {"document": "doc-a", "page": 1}}]
    (content / "sources.yaml").write_text(yaml.safe_dump(sources, sort_keys=False))


def test_show_gives_the_qualifier_and_every_caveat(mini_content: Path) -> None:
    hedge_and_caveat(mini_content)
    result = runner.invoke(app, ["show", "dementia-outreach", "--content", str(mini_content)], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    for text in ("almost 12", "Counted by the team itself.", "A pilot in one city.", "Too early to judge. (p1)"):
        assert text in result.stdout, text
    data = json.loads(runner.invoke(app, ["show", "dementia-outreach", "--json", "--content", str(mini_content)]).stdout)
    assert data["metrics"][0]["qualifier"] == "almost" and data["caveats"] == [{"text": "A pilot in one city.", "source": None}]


def test_missing_content_folder_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./content here, and no KB_CONTENT (see conftest)
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 2
    assert "no content folder" in result.output


def test_schema_writes_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "s" / "case-study.schema.json").read_text())["title"] == "CaseStudy"


def test_real_process_finds_content_in_the_current_directory(mini_content: Path) -> None:
    env = env_with()  # without KB_* (see conftest): ./content is found from the folder
    proc = subprocess.run([KB, "list", "--json"], cwd=mini_content.parent, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 7
    bad = subprocess.run([KB, "show", "nope"], cwd=mini_content.parent, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "no entry with id 'nope'" in bad.stderr


def test_markup_in_user_input_is_printed_as_text(mini_content: Path) -> None:
    result = runner.invoke(app, ["show", "[/x]", "--content", str(mini_content)])
    assert result.exit_code == 2
    assert "no entry with id '[/x]'" in result.output and "Traceback" not in result.output


# --- kb find's compact answer ------------------------------------------------------------

PASSAGE = (
    "The team began with a survey of every practice in the borough. Staff said referrals took weeks. "
    "Mental health nurses then joined the frailty team, and physiotherapists ran falls classes in care homes, "
    "so residents were seen sooner. The evaluation is still under way and figures are not yet published."
)


def test_the_snippet_is_the_stretch_with_the_query_words_in_two_lines_at_most() -> None:
    lines = snippet(PASSAGE, ["frailty", "falls", "physiotherapists"], 60)
    assert 1 <= len(lines) <= 2 and all(len(line) <= 60 for line in lines)
    joined = " ".join(lines)
    assert "frailty" in joined and "falls" in joined and joined.startswith("…") and joined.endswith("…")
    assert snippet("Short passage.", ["nothing"], 60) == ["Short passage."]
    assert snippet(PASSAGE, [], 60)[0].startswith("The team began")  # no query word: the start


def test_find_answers_compactly_within_100_columns_and_long_gives_the_table(fresh_mini) -> None:
    args = ["find", "physiotherapists teaching care home staff about dementia", *paths(*fresh_mini)]
    short = runner.invoke(app, args, env={"COLUMNS": "140"})
    assert short.exit_code == 0, short.output
    lines = short.stdout.splitlines()
    assert lines[0].startswith("1. ") and "Dementia outreach team trains care home staff" in lines[0]
    assert "case-studies/dementia-outreach/" in short.stdout and "why it matched" not in short.stdout
    assert max(len(line) for line in lines) <= 100  # even in a wider terminal
    assert sum(line.startswith("   ") and "/" not in line for line in lines[:4]) <= 2  # at most two lines of passage
    long = runner.invoke(app, [*args, "--long"], env={"COLUMNS": "140"})
    assert "why it matched" in long.stdout
