"""Assembling a brief: what the index chooses, that every item is cited and quoted from
the content, that nothing is padded, and that the same challenge gives the same brief."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kb.brief.assemble import SECTIONS, check_base_url, check_challenge, content_version, in_brief, place, reason, sentences
from kb.brief.formats import FORMATS
from kb.brief.model import Brief
from kb.core import KnowledgeBase
from kb.errors import QueryError, UnknownValue
from kb.models import CaseStudy, SourceRef
from kb.search.explain import Result
from tests.brief.conftest import DAY, MINI_CHALLENGE, OFF_TOPIC
from tests.conftest import REAL_CONTENT


def result(dense: float | None, match: str = "One. Two matters here. Three.", terms: list[str] | None = None) -> Result:
    return Result("x", "top-tip", "X", None, 1.0, "top-tips/x/", match, "detail", terms or [], "", dense, None)


def every_item(brief: Brief) -> list:
    return [*brief.case_studies, *(i for s in brief.sections for i in s.items)]


def test_the_reason_is_the_sentence_holding_most_of_the_challenges_words() -> None:
    chosen = reason(result(0.5, "Staff were trained. Care homes took part in dementia training for care staff. Costs fell.", ["care", "dementia", "training"]))
    assert chosen.sentence == "Care homes took part in dementia training for care staff."
    assert reason(result(0.5, "Only one sentence here", [])).sentence == "Only one sentence here"


def test_the_approach_in_brief_is_its_first_whole_sentences() -> None:
    text = "First sentence here. " + "word " * 90 + "end. Third."
    assert in_brief(text) == "First sentence here."
    assert in_brief("A long single sentence " + "word " * 100).startswith("A long single sentence")
    assert sentences("One. Two!  Three?") == ["One.", "Two!", "Three?"]


def test_places_keep_the_part_and_the_headings() -> None:
    ref = SourceRef(document="d", section="Part Two – What does an effective team look like? / Sharing data / Erewash")
    assert place(ref) == "Part Two / Sharing data / Erewash"
    assert place(SourceRef(document="d", page=17, appendix="Appendix 6, p53")) == "p17 (Appendix 6, p53)"
    assert place(SourceRef(document="d", section="Introduction")) == "Introduction"


@pytest.mark.parametrize(
    "challenge, reason_text",
    [("", "empty"), ("   ", "empty"), ("x" * 1001, "limit is 1000"), ("care\x1bhomes", r"U\+001B \(ESC\)"), ("care \u202ehomes", "bidirectional")],
)
def test_bad_challenges_are_refused_with_the_reason(challenge: str, reason_text: str) -> None:
    with pytest.raises(QueryError, match=reason_text) as caught:
        check_challenge(challenge)
    assert caught.value.field == "q"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://x.org/", "https://", "https://a b/", 'https://x.org/"onmouseover', "https://x.org/(a)", "//x.org/"]
)
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(QueryError, match="not an http"):
        check_base_url(url)


def test_base_urls_end_in_one_slash() -> None:
    assert check_base_url("https://kb.example.org") == "https://kb.example.org/"
    assert check_base_url("https://nhs.example.org/kb/") == "https://nhs.example.org/kb/"


def test_a_brief_holds_what_the_index_chose_each_item_cited_and_quoted(mini_kb: KnowledgeBase, mini_brief: Brief) -> None:
    assert mini_brief.challenge == MINI_CHALLENGE and mini_brief.date == DAY.isoformat()
    assert [c.id for c in mini_brief.case_studies] == ["dementia-outreach", "frailty-planning"]  # the other two are not close
    chosen = {s.key: [i.id for i in s.items] for s in mini_brief.sections}
    assert list(chosen) == [key for key, _, _ in SECTIONS]
    assert chosen["enabler"] == ["shared-learning"] and chosen["barrier"] == ["money-flows"]
    assert chosen["mdt-characteristic"] == [] and chosen["dilemma"] == []  # the mini content has none
    documents = {s.document for s in mini_brief.sources}
    for item in every_item(mini_brief):
        entry = mini_kb.get(item.id)
        assert item.citations and all(c.document in documents and c.where for c in item.citations), item.id
        assert item.reason.sentence in item.reason.passage
        assert item.summary == " ".join(entry.summary.split())  # quoted, not rewritten
        assert item.url == f"http://127.0.0.1:8000/{item.url.split('8000/')[1]}" and item.id in item.url
    case = mini_brief.case_studies[0]
    outreach = mini_kb.get("dementia-outreach")
    assert isinstance(outreach, CaseStudy)
    assert case.approach == outreach.approach and case.evidence.label == "Described only"
    assert [(o.aim, o.text) for o in case.outcomes] == [("Population health", "Residents kept well in their home.")]
    assert [(r.measure, r.figure, r.as_reported, r.citation.where) for r in case.results] == [("Homes trained", "12", "12 homes", "p3")]
    assert [p.url for p in mini_brief.pages] == [i.url for i in every_item(mini_brief)]
    assert mini_brief.sources[0].title == "Report A" and "p3" in mini_brief.sources[0].places


def test_filters_narrow_the_case_studies_only(mini_kb: KnowledgeBase) -> None:
    brief = mini_kb.brief(MINI_CHALLENGE, on=DAY, theme="frailty")
    assert [c.id for c in brief.case_studies] == ["frailty-planning"]
    assert brief.filters == {"theme": "frailty"}
    assert [i.id for s in brief.sections for i in s.items] == ["shared-learning", "money-flows"]
    with pytest.raises(UnknownValue, match="did you mean 'frailty'"):
        mini_kb.brief(MINI_CHALLENGE, theme="frailtie")


def test_nothing_close_gives_an_empty_brief_that_says_so(mini_kb: KnowledgeBase) -> None:
    brief = mini_kb.brief(OFF_TOPIC, on=DAY)
    assert brief.nothing_close and brief.case_studies == [] and all(s.items == [] for s in brief.sections)
    assert brief.sources == [] and brief.pages == []
    text = FORMATS["md"].render(brief).decode()
    assert "Nothing in the knowledge base is close to this challenge" in text and "## Case studies" not in text


def test_the_same_content_and_challenge_give_the_same_brief(mini_kb: KnowledgeBase, built_mini: tuple[Path, Path]) -> None:
    first = mini_kb.brief(MINI_CHALLENGE, on=DAY)
    again = KnowledgeBase.open(*built_mini).brief(MINI_CHALLENGE, on=DAY)  # a new process would load anew
    assert dataclasses.asdict(first) == dataclasses.asdict(again)
    for fmt in FORMATS.values():
        assert fmt.render(first) == fmt.render(again), fmt.name


def test_the_content_version_changes_with_the_content(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    kb = KnowledgeBase.open(content, data)
    before = content_version(kb.content)
    assert len(before.fingerprint) == 12 and before.updated == "2026-01-04" and before.entries == 7
    tip = content / "top_tips" / "tip-know-your-people.yaml"
    tip.write_text(tip.read_text().replace("Shape care", "Design care"))
    kb.reload()
    assert content_version(kb.content).fingerprint != before.fingerprint


@pytest.mark.slow
def test_a_brief_on_the_real_content(real_index: Path) -> None:
    """'frailty workforce' on the real content: 3 to 5 case studies, every section filled
    by the index, every citation's place listed under Sources."""
    kb = KnowledgeBase.open(REAL_CONTENT, real_index)
    brief = kb.brief("frailty workforce", on=DAY)
    assert 3 <= len(brief.case_studies) <= 5
    assert brief.case_studies[0].id == "wellbeing-erewash-frailty-workforce"
    assert all(s.items for s in brief.sections), [s.key for s in brief.sections if not s.items]
    listed = {(s.document, p) for s in brief.sources for p in s.places}
    for item in every_item(brief):
        for citation in item.citations:
            assert all((citation.document, p) in listed for p in citation.where.split("; ")), (item.id, citation)
    for case in brief.case_studies:
        assert all((r.citation.document, r.citation.where) in listed for r in case.results)
    other = kb.brief("care navigators in general practice", on=DAY)  # chosen for the challenge, not a fixed list
    assert {i.id for i in every_item(other)} != {i.id for i in every_item(brief)}
    assert kb.brief("parking permits for the hospital car park", on=DAY).nothing_close


def test_a_brief_with_nothing_close_counts_its_challenge_once_for_kb_gaps(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    kb = KnowledgeBase.open(content, data)
    assert kb.brief(OFF_TOPIC, on=DAY).nothing_close
    assert kb.brief(MINI_CHALLENGE, on=DAY).case_studies  # close: not counted, though some sections found nothing
    assert [(g.query, g.count) for g in kb.gaps()] == [(OFF_TOPIC, 1)]
