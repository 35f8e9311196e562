"""The content model and validation: good content loads, each mistake is located."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from kb.content import load_content
from kb.core import KnowledgeBase
from kb.models import ENTRY_MODELS

ENTRY = "content/case_studies/navigators.yaml"


def problems_after(content: Path, rel: str, edit) -> list[str]:
    path = content / rel
    path.write_text(edit(path.read_text()))
    return [str(p) for p in load_content(content)[1]]


def line_of(content: Path, rel: str, needle: str) -> int:
    return next(i for i, line in enumerate((content / rel).read_text().splitlines(), 1) if needle in line)


def test_mini_content_is_clean(mini_content: Path) -> None:
    content, problems = load_content(mini_content)
    assert problems == []
    assert set(content.entries) == {"dementia-outreach", "frailty-planning", "navigators", "rural-telemedicine", "shared-learning", "money-flows", "tip-know-your-people"}
    assert content.entries["dementia-outreach"].metrics[0].value == 12


def test_real_content_is_clean(real_content: Path) -> None:
    problems = load_content(real_content)[1]
    assert [str(p) for p in problems] == []


def test_unknown_key_points_at_the_key_with_a_suggestion(mini_content: Path) -> None:
    rel = "case_studies/navigators.yaml"
    found = problems_after(mini_content, rel, lambda t: t.replace("approach:", "approch:"))
    line = line_of(mini_content, rel, "approch:")
    assert f"{mini_content / rel}:{line}:1: unknown key 'approch' (did you mean 'approach'?)" in [f.replace(str(Path.cwd()) + "/", "") for f in found] or any(
        f.endswith(f"navigators.yaml:{line}:1: unknown key 'approch' (did you mean 'approach'?)") for f in found
    )
    assert any("missing required field 'approach'" in f for f in found)


def test_wrong_type_points_at_the_value(mini_content: Path) -> None:
    rel = "case_studies/dementia-outreach.yaml"
    found = problems_after(mini_content, rel, lambda t: t.replace("value: 12", "value: twelve"))
    line = line_of(mini_content, rel, "value: twelve")
    assert any(f"dementia-outreach.yaml:{line}:" in f and "metrics.0.value" in f for f in found), found


def test_unknown_literal_suggests_the_near_miss(mini_content: Path) -> None:
    rel = "case_studies/navigators.yaml"
    found = problems_after(mini_content, rel, lambda t: t.replace("organisation_kind: primary-care-home", "organisation_kind: primary-carehome"))
    line = line_of(mini_content, rel, "organisation_kind")
    assert any(f"navigators.yaml:{line}:20:" in f and "did you mean 'primary-care-home'" in f for f in found), found


def test_unknown_taxonomy_term_points_at_the_item(mini_content: Path) -> None:
    rel = "case_studies/frailty-planning.yaml"
    found = problems_after(mini_content, rel, lambda t: t.replace("- frailty\n", "- frailtee\n", 1))
    line = line_of(mini_content, rel, "- frailtee")
    assert any(f"frailty-planning.yaml:{line}:" in f and "unknown themes term 'frailtee' (did you mean 'frailty'?)" in f for f in found), found


def test_broken_cross_link_and_source(mini_content: Path) -> None:
    rel = "enablers/shared-learning.yaml"
    found = problems_after(mini_content, rel, lambda t: t.replace("- dementia-outreach", "- dementia-outreech").replace("document: doc-a", "document: doc-b"))
    assert any("unknown case-study entry 'dementia-outreech' (did you mean 'dementia-outreach'?)" in f for f in found), found
    assert any("unknown source document 'doc-b' (did you mean 'doc-a'?)" in f for f in found), found


def test_malformed_yaml_gets_a_located_line(mini_content: Path) -> None:
    rel = "case_studies/navigators.yaml"
    found = problems_after(mini_content, rel, lambda t: t.replace("title: Voluntary", "title: [Voluntary"))
    assert len(found) == 1 and "navigators.yaml:" in found[0] and "invalid YAML" in found[0]


def test_duplicate_key_is_an_error(mini_content: Path) -> None:
    rel = "case_studies/navigators.yaml"
    found = problems_after(mini_content, rel, lambda t: t + "title: Again\n")
    line = len((mini_content / rel).read_text().splitlines())
    assert any(f"navigators.yaml:{line}:1: invalid YAML: duplicate key 'title'" in f for f in found), found


def test_duplicate_ids_and_id_not_file_name(mini_content: Path) -> None:
    (mini_content / "case_studies" / "copy.yaml").write_text((mini_content / "case_studies" / "navigators.yaml").read_text())
    found = [str(p) for p in load_content(mini_content)[1]]
    assert any("copy.yaml:" in f and "'navigators' must equal the file name 'copy'" in f for f in found), found
    barrier = yaml.safe_load((mini_content / "barriers" / "money-flows.yaml").read_text())
    barrier["type"] = "enabler"
    barrier["id"] = "shared-learning"
    (mini_content / "enablers" / "shared-learning-2.yaml").write_text(yaml.safe_dump(barrier))
    found = [str(p) for p in load_content(mini_content)[1]]
    assert any("duplicate id 'shared-learning'" in f or "must equal the file name" in f for f in found)


def test_missing_required_field_and_wrong_folder(mini_content: Path) -> None:
    data = yaml.safe_load((mini_content / "top_tips" / "tip-know-your-people.yaml").read_text())
    del data["summary"]
    (mini_content / "top_tips" / "tip-know-your-people.yaml").write_text(yaml.safe_dump(data))
    (mini_content / "barriers" / "oops.yaml").write_text("id: oops\ntype: enabler\n")
    found = [str(p) for p in load_content(mini_content)[1]]
    assert any("tip-know-your-people.yaml:" in f and "missing required field 'summary'" in f for f in found)
    assert any("oops.yaml:2:7: field 'type': 'enabler' entries belong in content/enablers/" in f for f in found), found


def test_unknown_type_and_non_mapping(mini_content: Path) -> None:
    (mini_content / "case_studies" / "a.yaml").write_text("id: a\ntype: case-stuy\n")
    (mini_content / "case_studies" / "b.yaml").write_text("- just\n- a list\n")
    found = [str(p) for p in load_content(mini_content)[1]]
    assert any("a.yaml:2:7: field 'type': unknown entry type 'case-stuy' (did you mean 'case-study'?)" in f for f in found), found
    assert any("b.yaml:1:1: expected a mapping" in f for f in found), found


def test_source_needs_page_or_section(mini_content: Path) -> None:
    rel = "case_studies/rural-telemedicine.yaml"
    found = problems_after(mini_content, rel, lambda t: t.replace("page: 3", "appendix: Appendix 1"))
    assert any("a source needs a `page` or a `section`" in f for f in found), found


def test_validation_never_writes(mini_content: Path) -> None:
    (mini_content / "case_studies" / "bad.yaml").write_text("id: [\n")
    before = {p: p.stat().st_mtime_ns for p in mini_content.rglob("*")}
    load_content(mini_content)
    after = {p: p.stat().st_mtime_ns for p in mini_content.rglob("*")}
    assert after == before


def test_filters_follow_links_both_ways(mini_content: Path) -> None:
    kb = KnowledgeBase.open(mini_content)
    assert [e.id for e in kb.entries("case-study", barrier="money-flows")] == ["navigators"]
    assert [e.id for e in kb.entries("case-study", enabler="shared-learning")] == ["dementia-outreach"]
    assert [e.id for e in kb.entries("case-study", kind="other")] == ["rural-telemedicine"]
    assert [e.id for e in kb.entries("case-study", theme="frailty")] == ["frailty-planning"]


def test_drafts_are_hidden(mini_content: Path) -> None:
    path = mini_content / "case_studies" / "navigators.yaml"
    path.write_text(path.read_text().replace("status: published", "status: draft"))
    kb = KnowledgeBase.open(mini_content)
    assert "navigators" not in [e.id for e in kb.entries()]


def test_every_entry_type_has_a_schema() -> None:
    from kb.schema import schemas

    found = schemas()
    for entry_type in ENTRY_MODELS:
        schema = found[f"{entry_type}.schema.json"]
        assert schema["additionalProperties"] is False
        assert "id" in schema["required"]


def test_committed_schema_is_current() -> None:
    import json

    from kb.schema import schemas

    root = Path(__file__).resolve().parent.parent
    for name, schema in schemas().items():
        assert json.loads((root / "schema" / name).read_text()) == schema, f"schema/{name} is stale: run `kb schema`"


@pytest.mark.parametrize("folder", ["case_studies", "top_tips", "enablers", "barriers"])
def test_real_files_point_editors_at_their_schema(folder: str) -> None:
    root = Path(__file__).resolve().parent.parent
    for path in (root / "content" / folder).glob("*.yaml"):
        first = path.read_text().splitlines()[0]
        entry_type = yaml.safe_load(path.read_text())["type"]
        assert first == f"# yaml-language-server: $schema=../../schema/{entry_type}.schema.json", path
        assert (root / "schema" / f"{entry_type}.schema.json").exists()


# --- the real content: coverage and fidelity to the source reports ---------------------------


def test_real_content_counts_sources_and_themes(real_content: Path) -> None:
    import json

    from typer.testing import CliRunner

    from kb.cli import app

    counts = {t: len(json.loads(CliRunner().invoke(app, ["list", "--type", t, "--json"]).stdout)) for t in ("case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma")}
    assert counts["case-study"] >= 30 and counts["top-tip"] >= 15 and counts["enabler"] >= 6 and counts["barrier"] >= 9
    assert counts["mdt-characteristic"] >= 11 and counts["dilemma"] >= 4
    content, _ = load_content(real_content)
    assert all(e.sources for e in content.entries.values())
    assert all(c.themes for c in content.case_studies())
    assert len({t for t in (getattr(e, "group", None) for e in content.entries.values()) if t}) == 5  # five groups of tips


def test_real_summaries_are_short(real_content: Path) -> None:
    content, _ = load_content(real_content)
    for entry in content.entries.values():
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z£0-9])", entry.summary) if s]
        assert 1 <= len(sentences) <= 3, (entry.id, entry.summary)


def _source_texts() -> tuple[list[str], str] | None:
    for folder in (os.environ.get("KB_SOURCES"), Path(__file__).resolve().parents[2] / "shared" / "sources", "/work/shared/sources"):
        if folder and (Path(folder) / "000_5949fed0e035a2ab.txt").exists():
            lines = (Path(folder) / "000_5949fed0e035a2ab.txt").read_text().splitlines()
            return lines, (Path(folder) / "003_bbeba8967b1be168.txt").read_text()
    return None


def test_every_number_in_the_content_is_in_the_reports(real_content: Path) -> None:
    """Facts and figures exact: each number we state appears in a source report, and each
    2017 metric's figures appear on the page it cites."""
    found = _source_texts()
    if found is None:
        pytest.skip("the source reports are not on this machine (set KB_SOURCES)")
    lines, report_2018 = found
    body = lines[lines.index("Transcription:") + 1 :]
    everything = (" ".join(body) + " " + report_2018).replace(",", "")
    pages = {int(m.group(1)): line.replace(",", "") for line in body if (m := re.search(r"\s(\d+)\s*$", line))}
    number = re.compile(r"(?<![\w-])\d+(?:[.,]\d+)?")
    content, _ = load_content(real_content)
    missing = []
    for entry in content.entries.values():
        data = entry.model_dump(exclude={"sources", "added", "updated", "id", "contributor", "aliases"})
        for text in _strings(data):
            for n in number.findall(text):
                if not re.search(rf"(?<!\d){re.escape(n.replace(',', ''))}(?!\d)", everything):
                    missing.append((entry.id, n, text[:80]))
        cited = {int(s.page) for s in entry.sources if s.document == "ncm-workforce-2017" and str(s.page).isdigit()}
        for metric in getattr(entry, "metrics", []):
            on = {int(metric.source.page)} if metric.source and str(metric.source.page).isdigit() else cited
            if not on or (metric.source and metric.source.document != "ncm-workforce-2017"):
                continue
            for n in number.findall(metric.as_reported):
                if not any(re.search(rf"(?<!\d){re.escape(n.replace(',', ''))}(?!\d)", pages.get(p, "")) for p in on):
                    missing.append((entry.id, n, f"not on p{sorted(on)}"))
    assert missing == []


def _strings(value: object):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value
