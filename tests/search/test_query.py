"""Understanding a query: glossary expansion, "did you mean", and honest relevance."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.core import KnowledgeBase
from kb.search.query import Expansion, Glossary, QueryReader, Speller, StoredTerm, query_data
from kb.search.relevance import CLOSE_COSINE, relevance
from tests.conftest import OT, paths, with_glossary

runner = CliRunner()

TERMS: list[StoredTerm] = [
    {"term": "AHP", "expansion": "allied health professional", "synonyms": ["allied health professionals"]},
    {"term": "IT", "expansion": "information technology", "synonyms": []},
    {"term": "pharmacist", "expansion": None, "synonyms": ["chemist", "clinical pharmacist"]},
    {"term": "MDT", "expansion": "multi-disciplinary team", "synonyms": ["multidisciplinary team"]},
]


# --- the glossary -----------------------------------------------------------------------


def test_an_abbreviation_is_expanded_and_shown_as_typed() -> None:
    shown, added, expanded = Glossary(TERMS).expand("AHP workforce in care homes")
    assert shown == [Expansion("AHP", "allied health professional")]
    assert added == ["allied health professional"]
    assert expanded == "AHP (allied health professional) workforce in care homes"


@pytest.mark.parametrize("typed", ["AHPs", "ahp", "ahps"])
def test_plurals_and_lower_case_match_an_abbreviation(typed: str) -> None:
    assert Glossary(TERMS).expand(f"{typed} in care homes")[0] == [Expansion(typed, "allied health professional")]


@pytest.mark.parametrize("word", ["IT", "NICE"])
def test_an_abbreviation_spelled_like_a_word_counts_only_in_capitals(word: str) -> None:
    terms: list[StoredTerm] = [*TERMS, {"term": "NICE", "expansion": "National Institute for Health and Care Excellence", "synonyms": []}]
    reader = QueryReader(query_data(terms, []), set())  # which ones is worked out when the index is built
    assert reader.understand(f"is {word.lower()} worth doing").expansions == []
    assert [e.term for e in reader.understand(f"{word} guidance for GP practices").expansions] == [word]
    assert reader.understand("AHP staff").expansions  # not every abbreviation: "ahp" is no word


def test_a_plain_word_adds_the_term_it_stands_for() -> None:
    shown, added, _ = Glossary(TERMS).expand("get contraception from chemists")
    assert shown == [Expansion("chemists", "pharmacist")] and added == ["pharmacist"]


def test_an_expansion_typed_in_full_adds_its_abbreviation_and_keeps_the_hyphen() -> None:
    shown, added, _ = Glossary(TERMS).expand("multi-disciplinary team meetings")
    assert shown == [Expansion("multi-disciplinary team", "MDT")] and added == ["MDT"]


def test_a_term_typed_as_itself_adds_nothing() -> None:
    assert Glossary(TERMS).expand("pharmacist in the practice") == ([], [], "pharmacist in the practice")
    assert Glossary(TERMS).expand("allied health professionals and AHPs")[0] == []  # the query already says both


def test_the_dense_ranker_sees_the_query_as_typed_and_expanded() -> None:
    reader = QueryReader(query_data(TERMS, ["allied health professionals work in teams"]), set())
    assert reader.understand("AHP teams").dense_texts == ["AHP teams", "AHP (allied health professional) teams"]
    assert reader.understand("teams").dense_texts == ["teams"]


def test_a_long_statement_is_also_read_sentence_by_sentence() -> None:
    reader = QueryReader(query_data([], ["care"]), set())
    statement = "Our board wants options soon. We need dementia training for care home staff.\nThanks, any ideas?"
    understood = reader.understand(statement)
    assert understood.sentences == ["Our board wants options soon.", "We need dementia training for care home staff."]  # "Thanks, any ideas?" too short
    assert understood.dense_texts == [statement, *understood.sentences]
    assert reader.understand("dementia training. Care homes.").sentences == []  # short pieces: the whole query is enough


# --- did you mean -------------------------------------------------------------------------

VOCABULARY = {"frailty": 12, "dementia": 9, "workforce": 20, "navigators": 3, "break": 4, "care": 50}


@pytest.mark.parametrize(
    "typed, corrected",
    [("fraility", "frailty"), ("dementai", "dementia"), ("Fraility", "Frailty"), ("workforse", "workforce")],
)
def test_an_unknown_word_is_corrected_to_the_closest_known_word(typed: str, corrected: str) -> None:
    assert Speller(VOCABULARY, set()).correct(typed) == corrected


@pytest.mark.parametrize("word", ["bread", "ICB", "cre", "frailty", "navigator", "zebrafishology"])
def test_real_english_abbreviations_short_known_and_far_words_are_left_alone(word: str) -> None:
    # "bread" is English, not a typo of "break"; "ICB" an abbreviation; "cre" too short to
    # guess; "navigator" known by its stem; "zebrafishology" close to nothing.
    assert Speller(VOCABULARY, {"navig"}).correct(word) is None


def test_the_corrected_query_keeps_everything_else() -> None:
    speller = Speller(VOCABULARY, set())
    assert speller.correct_text("Fraility workforse, in 2024!") == "Frailty workforce, in 2024!"
    assert speller.correct_text("frailty workforce") is None


# --- relevance ------------------------------------------------------------------------------


def test_relevance_is_one_half_at_the_threshold_and_rises_with_the_cosine() -> None:
    assert relevance(CLOSE_COSINE) == pytest.approx(0.5)
    assert relevance(0.1) < 0.01 < relevance(0.4) < relevance(0.6) < relevance(0.9) <= 1.0


# --- through the index, the CLI and the API -------------------------------------------------


def test_the_glossary_expands_queries_and_a_change_to_it_refreshes_the_index(fresh_mini) -> None:
    content, data = fresh_mini
    kb = KnowledgeBase.open(content, data)
    assert kb.answer("OTs", mode="bm25").results == []  # no entry says "OT"
    with_glossary(content, OT)
    assert KnowledgeBase.open(content, data).index_status() == "stale"
    answer = KnowledgeBase.open(content, data).answer("OTs", mode="bm25")
    assert answer.expansions == [Expansion("OTs", "occupational therapist")]
    assert answer.results[0].id == "dementia-outreach" and "therapists" in answer.results[0].match_terms


def test_a_misspelt_query_is_corrected_and_still_finds_the_answer(fresh_mini) -> None:
    answer = KnowledgeBase.open(*fresh_mini).answer("dementai outreech in care homes", mode="bm25")
    assert answer.did_you_mean == "dementia outreach in care homes"
    assert answer.results[0].id == "dementia-outreach"


def test_no_close_match_for_an_off_topic_challenge_and_close_for_the_answer(fresh_mini) -> None:
    kb = KnowledgeBase.open(*fresh_mini)
    off = kb.answer("hospital car parking charges")
    assert off.no_close_match and off.results and not any(r.close for r in off.results)
    assert all(r.relevance < 0.5 for r in off.results)
    on = kb.answer("dementia outreach training for care home staff")
    assert not on.no_close_match and on.results[0].id == "dementia-outreach" and on.results[0].close


def test_relevance_means_the_same_in_every_mode(fresh_mini) -> None:
    kb = KnowledgeBase.open(*fresh_mini)
    by_mode = {
        mode: {r.id: r.relevance for r in kb.find("video consultations with distant specialists", k=4, mode=mode)} for mode in ("hybrid", "dense", "bm25")
    }
    assert by_mode["hybrid"]["rural-telemedicine"] == by_mode["dense"]["rural-telemedicine"] == by_mode["bm25"]["rural-telemedicine"] > 0.5
    hybrid = kb.find("video consultations with distant specialists", k=4)
    assert hybrid[0].score > hybrid[-1].score and hybrid[-1].relevance < 0.5  # not scaled so the last is 0 or the first 1


def test_the_sentence_naming_the_problem_is_not_drowned_by_the_rest(fresh_mini) -> None:
    statement = (
        "Our board has asked the programme team to look at options before the next planning round, "
        "with partners who have different priorities and a small budget. "
        "We want volunteers from charities helping GP patients with non-medical needs. "
        "Any examples of where this has been done would help us make the case to the board."
    )
    searcher = KnowledgeBase.open(*fresh_mini).searcher()
    understood = searcher.understand(statement)
    whole_only = searcher.search(statement, 4, mode="dense", vectors=searcher.encoder.encode(understood.forms))
    by_sentence = searcher.search(statement, 4, mode="dense")
    assert by_sentence[0].id == "navigators"
    assert by_sentence[0].score > next(r.score for r in whole_only if r.id == "navigators")


def test_kb_find_shows_expansions_corrections_and_no_close_match(fresh_mini) -> None:
    content, data = fresh_mini
    with_glossary(content, OT)
    shown = runner.invoke(app, ["find", "OT trainng in care homes", *paths(content, data)], env={"COLUMNS": "100"})
    assert shown.exit_code == 0, shown.output
    assert "OT → occupational therapist" in shown.stdout and "Did you mean “OT training in care homes”?" in shown.stdout
    off = runner.invoke(app, ["find", "staff canteen opening hours", *paths(content, data)], env={"COLUMNS": "100"})
    assert "No close match: the nearest entries are" in off.stdout
    body = json.loads(runner.invoke(app, ["find", "OT trainng", "--json", *paths(content, data)]).stdout)
    assert body["expansions"] == [{"term": "OT", "expansion": "occupational therapist"}]
    assert body["did_you_mean"] == "OT training" and isinstance(body["no_close_match"], bool)
    assert {"relevance", "close"} <= set(body["results"][0])
