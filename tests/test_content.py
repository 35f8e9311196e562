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
from tests.conftest import MINI_IDS

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
    assert set(content.entries) == MINI_IDS
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
    assert any(f"navigators.yaml:{line}:1: duplicate key 'title'" in f for f in found), found


def test_duplicate_ids_and_id_not_file_name(mini_content: Path) -> None:
    (mini_content / "case_studies" / "copy.yaml").write_text((mini_content / "case_studies" / "navigators.yaml").read_text())
    found = [str(p) for p in load_content(mini_content)[1]]
    assert any("copy.yaml:" in f and "'navigators' must equal the file name 'copy'" in f for f in found), found
    (mini_content / "case_studies" / "copy.yaml").unlink()


def test_the_same_id_in_two_folders_is_reported(mini_content: Path) -> None:
    """Each file is named after its id, so only the id clash is wrong: it must be reported."""
    barrier = yaml.safe_load((mini_content / "barriers" / "money-flows.yaml").read_text())
    barrier["id"] = "shared-learning"  # the id of an enabler
    (mini_content / "barriers" / "shared-learning.yaml").write_text(yaml.safe_dump(barrier))
    found = [str(p) for p in load_content(mini_content)[1]]
    assert [f for f in found if "must equal the file name" in f] == []
    assert any("shared-learning.yaml:" in f and "duplicate id 'shared-learning' (also in" in f for f in found), found


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

    counts = {
        t: len(json.loads(CliRunner().invoke(app, ["list", "--type", t, "--json", "--content", str(real_content)]).stdout))
        for t in ("case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma")
    }
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


# --- outcomes under the source's own headings ------------------------------------------------

# The 2017 case study summaries report under these headings; an outcome filed under an aim is
# checked against the text the report gives under the matching heading.
SUMMARY_HEADINGS = {
    "population_health": "Population benefits:",
    "individual_experience": "Individual experience:",
    "cost": "Reduced cost:",
    "staff_experience": "Staff experience:",
}
_SUMMARY_LABEL = re.compile(r"(Workforce issues:|Approach:|Population benefits:|Individual experience:|Reduced cost:|Staff experience:)")
# Deliberate exceptions: outcome texts that draw on the cited page beyond the summary's own line.
OUTCOME_EXCEPTIONS = {
    ("all-together-better-sunderland", "staff_experience"): "adds the staff survey the report gives on the same page (p17), just before the summary",
}
_COMMON = set(
    [
        "that",
        "this",
        "with",
        "from",
        "their",
        "they",
        "them",
        "there",
        "which",
        "have",
        "were",
        "been",
        "will",
        "also",
        "into",
        "more",
        "less",
        "than",
        "some",
        "such",
        "each",
        "other",
        "these",
        "those",
        "what",
        "when",
        "where",
        "while",
        "about",
        "after",
        "only",
        "very",
        "much",
        "most",
        "many",
        "over",
        "under",
        "well",
        "being",
        "make",
        "made",
        "help",
        "helps",
        "give",
        "gives",
        "given",
        "like",
        "just",
        "then",
        "because",
        "through",
        "across",
        "within",
        "without",
        "between",
        "does",
        "done",
        "said",
        "says",
    ]
)


def _stem(word: str) -> str:
    word = word.lower()
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:5]  # crude on purpose: 'empowered' and 'empowerment' should meet


def _key_words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[A-Za-z]+", text) if len(w) >= 4 and w.lower() not in _COMMON}


def _summaries(pages: dict[int, str]) -> dict[tuple[int, str], dict[str, str]]:
    """Each 2017 case study summary, keyed by its page and its 'See Appendix N, pX' line."""
    found = {}
    for page, text in pages.items():
        for m in re.finditer(r"Workforce issues:.*?See Appendix (\d+), p(\d+)", text):
            parts = _SUMMARY_LABEL.split(m.group(0).rsplit("See Appendix", 1)[0])
            lines = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
            found[(page, f"Appendix {m.group(1)}, p{m.group(2)}")] = {aim: lines[h] for aim, h in SUMMARY_HEADINGS.items() if h in lines}
    return found


def _flat(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _section_text(report: str, section: str) -> str:
    """Text under a cited heading of the 2018 report (every place the heading occurs)."""
    lines = report.splitlines()
    for heading in reversed([h.strip() for h in section.split("/")]):
        hits = [i for i, line in enumerate(lines) if line.strip() and _flat(line).startswith(_flat(heading))]
        if hits:
            return " ".join(" ".join(lines[i:])[:2500] for i in hits)
    raise AssertionError(f"cited section not found in the 2018 report: {section}")


def _cited_texts(entry, pages: dict[int, str], report_2018: str) -> str:
    texts = []
    for s in entry.sources:
        if s.document == "ncm-workforce-2017":
            first, _, last = str(s.page).partition("-")
            texts += [pages.get(p, "") for p in range(int(first), int(last or first) + 1)]
        elif s.section:
            texts.append(_section_text(report_2018, s.section))
    return " ".join(texts)


def test_outcomes_key_words_are_under_the_matching_heading_on_a_cited_page(real_content: Path) -> None:
    """An outcome sits under the aim the source gives it: where a cited 2017 summary exists,
    the aim's heading must be in it and at least half the outcome's key words must occur
    under that heading; otherwise they must occur on a cited page or section."""
    found = _source_texts()
    if found is None:
        pytest.skip("the source reports are not on this machine (set KB_SOURCES)")
    lines, report_2018 = found
    body = lines[lines.index("Transcription:") + 1 :]
    pages = {int(m.group(1)): line for line in body if (m := re.search(r"\s(\d+)\s*$", line))}
    summaries = _summaries(pages)
    assert len(summaries) == 10  # the ten case study summaries of the 2017 report
    content, _ = load_content(real_content)
    wrong = []
    for entry in content.case_studies():
        own = [summaries[(s.page, s.appendix)] for s in entry.sources if (s.page, s.appendix) in summaries and s.document == "ncm-workforce-2017"]
        for aim in SUMMARY_HEADINGS:
            text = getattr(entry.outcomes, aim)
            if not text or (entry.id, aim) in OUTCOME_EXCEPTIONS:
                continue
            if own and not any(aim in o for o in own):
                wrong.append((entry.id, aim, "the cited summary has no such heading"))
                continue
            source = " ".join(o[aim] for o in own if aim in o) if own else _cited_texts(entry, pages, report_2018)
            keys, missing = _key_words(text), _key_words(text) - _key_words(source)
            if len(missing) > len(keys) / 2:
                wrong.append((entry.id, aim, sorted(missing)))
    assert wrong == []


def test_exceptions_are_still_needed(real_content: Path) -> None:
    content, _ = load_content(real_content)
    for entry_id, aim in OUTCOME_EXCEPTIONS:
        assert getattr(content.entries[entry_id].outcomes, aim), (entry_id, aim)


def test_hedged_figures_keep_their_qualifier(real_content: Path) -> None:
    """'almost 100%' must not be stored as a bare 100: the hedge or range travels with it."""
    content, _ = load_content(real_content)
    hedge = re.compile(r"\b(almost|around|approximately|over|up to|at least|more than|nearly|about)\s+£?\d", re.I)
    for entry in content.case_studies():
        for m in entry.metrics:
            if hedge.search(m.as_reported):
                assert m.qualifier and m.figure().startswith(m.qualifier), (entry.id, m.as_reported)
            if re.search(r"\d\s*-\s*\d+\s*%", m.as_reported):
                assert m.upper is not None, (entry.id, m.as_reported)
    gnosall = content.entries["gnosall-rugeley-memory-clinic"].metrics[0]
    assert gnosall.figure() == "almost 100%"


def test_qualifier_must_be_the_sources_own_word() -> None:
    from pydantic import ValidationError

    from kb.models import Metric

    with pytest.raises(ValidationError, match="does not occur in as_reported"):
        Metric(measure="Attendance", value=100, unit="percent", as_reported="100% attendance", qualifier="almost")
    assert Metric(measure="Share", value=40, upper=50, unit="percent", as_reported="40-50%").figure() == "40–50%"


def test_source_caveats_cite_their_own_document(real_content: Path) -> None:
    content, _ = load_content(real_content)
    for doc in content.documents.values():
        assert doc.caveats, f"{doc.id}: the reports' own caveats belong in sources.yaml"
        assert all(c.source and c.source.document == doc.id for c in doc.caveats)


# --- links named from both sides -------------------------------------------------------------


def test_real_content_links_agree_both_ways(real_content: Path) -> None:
    from kb.content import one_sided_links

    content, _ = load_content(real_content)
    assert [link.message(content) for link in one_sided_links(content)] == []


def test_one_sided_link_is_a_warning_not_a_problem(mini_content: Path) -> None:
    from typer.testing import CliRunner

    from kb.cli import app
    from kb.content import one_sided_links

    rel = "case_studies/dementia-outreach.yaml"
    data = yaml.safe_load((mini_content / rel).read_text())
    data["enablers"] = []  # shared-learning still lists dementia-outreach
    (mini_content / rel).write_text(yaml.safe_dump(data, sort_keys=False))
    content, problems = load_content(mini_content)
    assert problems == []
    assert [(x.named_by, x.target) for x in one_sided_links(content)] == [("shared-learning", "dementia-outreach")]
    result = CliRunner().invoke(app, ["validate", "--content", str(mini_content)])
    assert result.exit_code == 0
    assert "one-sided link: 'shared-learning' names 'dementia-outreach' in case_studies" in result.output


# --- the glossary ------------------------------------------------------------------------

GLOSSARY = """\
terms:
  - id: ahp
    term: AHP
    expansion: allied health professional
    definition: A member of a regulated profession beside nursing and medicine.
    source: general usage
  - id: mdt
    term: MDT
    definition: A team of staff from different professions.
    source: {document: doc-a, page: 4}
"""


def test_the_glossary_is_optional_and_loads_when_present(mini_content: Path) -> None:
    assert load_content(mini_content)[0].glossary == []
    (mini_content / "glossary.yaml").write_text(GLOSSARY)
    content, problems = load_content(mini_content)
    assert problems == []
    assert [t.expansion for t in content.glossary] == ["allied health professional", None]


def test_glossary_problems_are_located(mini_content: Path) -> None:
    (mini_content / "glossary.yaml").write_text(GLOSSARY.replace("doc-a", "doc-b").replace("id: mdt", "id: ahp"))
    problems = [str(p) for p in load_content(mini_content)[1]]
    assert any("glossary.yaml:7:9" in p and "duplicate glossary id 'ahp'" in p for p in problems), problems
    assert any("glossary.yaml:10:24" in p and "unknown document 'doc-b'" in p and "doc-a" in p for p in problems), problems


def test_the_real_glossary_cites_a_report_or_says_general_usage(real_content: Path) -> None:
    content, _ = load_content(real_content)
    assert content.glossary, "content/glossary.yaml has terms"
    assert all(t.source == "general usage" or t.source.document in content.documents for t in content.glossary)
