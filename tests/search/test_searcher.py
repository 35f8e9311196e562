"""The index and search: encoders, builds, freshness, ranking, filters, bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.core import KnowledgeBase
from kb.errors import QueryError, UnknownValue
from kb.search import fusion, index
from kb.search.explain import word_stems
from kb.search.version import IndexVersion
from tests.conftest import KB, MINI_IDS, REAL_CONTENT, env_with, paths

runner = CliRunner()


# --- encoders ---------------------------------------------------------------------------


def test_onnx_encoder_agrees_with_sentence_transformers(built_mini) -> None:
    from kb.search.encoder import OnnxEncoder, SentenceTransformerEncoder

    _, data = built_mini
    texts = ["frailty workforce", "dementia training for care home staff " * 60, "a"]
    st = SentenceTransformerEncoder().encode(texts)
    onnx = OnnxEncoder(index.onnx_dir(data, "all-MiniLM-L6-v2")).encode(texts)
    assert st.shape == onnx.shape == (3, 384)
    assert np.abs(st - onnx).max() < 1e-5
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_unknown_model_is_one_clear_message(mini_content: Path) -> None:
    result = runner.invoke(app, ["index", *paths(mini_content)], env={"KB_MODEL": "/no/such/model"})
    assert result.exit_code == 2
    assert "no model folder at '/no/such/model'" in result.output and "Traceback" not in result.output


# --- building -----------------------------------------------------------------------------


def test_manifest_records_model_dimensions_hashes_and_time(built_mini) -> None:
    _, data = built_mini
    manifest = IndexVersion.current(data).manifest
    assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["dimensions"] == 384
    assert set(manifest["entries"]) == MINI_IDS
    assert manifest["built_at"] and manifest["passages"] >= 7


def test_incremental_build_reembeds_only_changed_entries(fresh_mini) -> None:
    content, data = fresh_mini
    kb = KnowledgeBase.open(content, data)
    path = content / "case_studies" / "navigators.yaml"
    path.write_text(path.read_text().replace("Trust was built", "Trust was slowly built"))
    assert kb.index_status() == "stale"
    report = kb.build_index()
    assert report.reused_entries == 6 and report.entries == 7
    assert 0 < report.embedded <= 4  # the navigators' passages only
    assert kb.index_status() == "fresh"
    assert "slowly" in " ".join(p["text"] for p in IndexVersion.current(data).passages)


def test_a_new_passage_format_reembeds_everything(fresh_mini, monkeypatch) -> None:
    content, data = fresh_mini
    kb = KnowledgeBase.open(content, data)
    monkeypatch.setattr(index, "PASSAGE_FORMAT", index.PASSAGE_FORMAT + 1)
    assert kb.index_status() == "outdated"
    report = kb.build_index()
    assert report.reused_entries == 0 and report.embedded == report.passages


def test_interrupted_build_leaves_previous_index_intact(fresh_mini, monkeypatch) -> None:
    content, data = fresh_mini
    before = (data / "CURRENT").read_text()
    kb = KnowledgeBase.open(content, data)

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt  # as if the process were stopped while writing

    monkeypatch.setattr(index, "_save_bm25", killed)
    with pytest.raises(KeyboardInterrupt):
        kb.build_index(force=True)
    assert (data / "CURRENT").read_text() == before
    assert not [p for p in data.iterdir() if p.name.startswith(".index-")]
    assert [r.id for r in KnowledgeBase.open(content, data).find("dementia care home training", k=1)] == ["dementia-outreach"]


def test_killed_build_process_leaves_previous_index_intact(fresh_mini) -> None:
    content, data = fresh_mini
    before = (data / "CURRENT").read_text()
    proc = subprocess.Popen(
        [KB, "index", "--force"], env=env_with(KB_CONTENT=str(content), KB_DATA=str(data)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        proc.wait(timeout=4)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    assert (data / "CURRENT").read_text() in (before, *[p.name for p in data.glob("index-*")])
    assert index.current_dir(data) is not None
    assert KnowledgeBase.open(content, data).find("telehealth video", k=1)[0].id == "rural-telemedicine"


def test_stale_index_is_refreshed_and_says_so(fresh_mini) -> None:
    content, data = fresh_mini
    path = content / "case_studies" / "rural-telemedicine.yaml"
    path.write_text(path.read_text().replace("Video consultations", "Video consultations and drone deliveries"))
    proc = subprocess.run(
        [KB, "find", "drone deliveries", "--json", "-k", "1"],
        env=env_with(KB_CONTENT=str(content), KB_DATA=str(data)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "content changed since the index was built: refreshing it" in proc.stderr
    assert json.loads(proc.stdout)["results"][0]["id"] == "rural-telemedicine"


def test_missing_index_is_built_on_first_use(mini_content: Path) -> None:
    proc = subprocess.run([KB, "find", "care navigators", "--json", *paths(mini_content)], env=env_with(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "no index yet: building it" in proc.stderr
    assert json.loads(proc.stdout)["results"][0]["id"] == "navigators"


def test_an_index_version_reads_its_files_on_first_use(built_mini, tmp_path: Path) -> None:
    _, data = built_mini
    assert IndexVersion.current(tmp_path) is None
    version = IndexVersion.current(data)
    assert version.manifest["passages"] >= 7 and "records" not in vars(version)  # manifest only, so far
    assert (version.onnx_dir / "model.onnx").exists()
    assert [version.records[owner]["id"] for owner in version.passage_owner] == [p["entry_id"] for p in version.passages]
    assert sorted(row for rows in version.rows_of for row in rows) == list(range(len(version.passages)))


# --- finding ------------------------------------------------------------------------------


def test_find_json_items_have_the_promised_fields(fresh_mini) -> None:
    result = runner.invoke(app, ["find", "teaching nursing home staff about memory loss", "--json", *paths(*fresh_mini)])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["results"]
    assert len(items) == 4  # four case studies exist; default type is case-study
    first = items[0]
    assert first["id"] == "dementia-outreach" and first["type"] == "case-study"
    assert first["organisation"] == "City CCG" and first["url"] == "case-studies/dementia-outreach/"
    assert first["match"] and isinstance(first["score"], float)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


def test_long_terminal_view_shows_rank_title_score_and_why(fresh_mini) -> None:
    result = runner.invoke(app, ["find", "care home dementia", "--long", *paths(*fresh_mini)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Dementia outreach team trains care home staff" in result.stdout
    assert "case-studies/dementia-outreach/" in result.stdout and "why it matched" in result.stdout


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_each_mode_ranks_the_obvious_answer_first(fresh_mini, mode: str) -> None:
    kb = KnowledgeBase.open(*fresh_mini)
    assert kb.find("volunteers and charities helping GP patients", mode=mode)[0].id == "navigators"


def test_match_is_the_best_passage_with_highlighted_terms(fresh_mini) -> None:
    result = KnowledgeBase.open(*fresh_mini).find("video consultations with distant specialists", k=1, mode="bm25")[0]
    assert "Video consultations" in result.match or "video" in result.match.lower()
    assert "video" in result.match_terms


def test_filters_apply_before_ranking(fresh_mini) -> None:
    kb = KnowledgeBase.open(*fresh_mini)
    # A query about dementia, filtered to frailty: the one frailty entry still comes back.
    assert [r.id for r in kb.find("dementia care homes", k=5, theme="frailty")] == ["frailty-planning"]
    assert [r.id for r in kb.find("anything at all", k=5, barrier="money-flows")] == ["navigators"]
    assert [r.id for r in kb.find("anything at all", k=5, enabler="shared-learning")] == ["dementia-outreach"]
    assert [r.id for r in kb.find("dementia", k=5, kind="other")] == ["rural-telemedicine"]
    assert len(kb.find("dementia", k=3, kind="vanguard")) == 2
    assert len(kb.find("population planning", k=7, entry_type="all")) == 7


def test_a_filter_choice_is_worked_out_once(fresh_mini) -> None:
    selections = KnowledgeBase.open(*fresh_mini).searcher().selections
    frailty = selections.get("case-study", {"theme": "frailty"})
    assert selections.get("case-study", {"kind": None, "theme": "frailty"}) is frailty
    assert frailty.dense_params is not None  # faiss searches only these passages
    assert selections.get("all", {}).dense_params is None  # every passage: nothing to restrict


def test_fusion_is_chosen_when_the_searcher_is_made(fresh_mini) -> None:
    searcher = KnowledgeBase.open(*fresh_mini).searcher()
    assert searcher.fusion == fusion.DEFAULT
    rrf = searcher.using(fusion.ReciprocalRank(10.0))
    assert rrf.dense is searcher.dense and rrf.bm25 is searcher.bm25 and searcher.fusion == fusion.DEFAULT
    query = "volunteers and charities helping GP patients"
    assert rrf.search(query)[0].score <= round(2 / 11, 4) < searcher.search(query)[0].score  # rank-based, capped by k
    assert rrf.search(query, mode="bm25") == searcher.search(query, mode="bm25")  # fusion is for hybrid only


def test_explaining_shows_the_words_the_query_shares() -> None:
    assert word_stems("Nurses nursing the nurse, a nurse") == [("nurse", "nurs"), ("nurses", "nurs"), ("nursing", "nurs"), ("the", "the")]


def test_similar_excludes_itself(fresh_mini) -> None:
    result = runner.invoke(app, ["similar", "navigators", "--json", "-k", "3", *paths(*fresh_mini)])
    assert result.exit_code == 0
    ids = [r["id"] for r in json.loads(result.stdout)]
    assert len(ids) == 3 and "navigators" not in ids


@pytest.mark.parametrize(
    "args, message",
    [
        (["find", "   "], "the query is empty"),
        (["find", "x" * 1001], "the limit is 1000"),
        (["find", "care", "-k", "0"], "k must be between 1 and 100"),
        (["find", "care", "-k", "101"], "k must be between 1 and 100"),
        (["find", "care", "--type", "case-studie"], "unknown type 'case-studie' (did you mean 'case-study'?)"),
        (["find", "care", "--theme", "frailtie"], "unknown theme 'frailtie' (did you mean 'frailty'?)"),
        (["find", "care", "--barrier", "money-flow"], "unknown barrier 'money-flow' (did you mean 'money-flows'?)"),
        (["find", "care", "--mode", "hybird"], "unknown mode 'hybird' (did you mean 'hybrid'?)"),
        (["similar", "navigatorz"], "no entry with id 'navigatorz' (did you mean 'navigators'?)"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_2(fresh_mini, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, *paths(*fresh_mini)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_core_raises_specific_errors(fresh_mini) -> None:
    kb = KnowledgeBase.open(*fresh_mini)
    with pytest.raises(QueryError) as caught:
        kb.find("")
    assert caught.value.field == "q"
    with pytest.raises(UnknownValue):
        kb.find("care", enabler="nope")


# --- the real content ------------------------------------------------------------------------


@pytest.fixture
def real_kb(real_index: Path) -> KnowledgeBase:
    return KnowledgeBase.open(REAL_CONTENT, real_index)


def test_dementia_training_in_care_homes_finds_nottingham_city(real_kb: KnowledgeBase) -> None:
    assert real_kb.find("dementia training in care homes")[0].id == "nottingham-city-dementia-outreach"


def test_frailty_workforce_finds_frailty_case_studies(real_kb: KnowledgeBase) -> None:
    ids = [r.id for r in real_kb.find("frailty workforce")]
    assert "wellbeing-erewash-frailty-workforce" in ids[:3]


def test_aliases_are_searchable(real_kb: KnowledgeBase) -> None:
    assert "foundation-healthcare-group" in [r.id for r in real_kb.find("Foundation Health Care Group", k=3, mode="bm25")]


def test_hybrid_beats_bm25_on_the_shipped_queries(real_kb: KnowledgeBase) -> None:
    report = real_kb.evaluate(REAL_CONTENT.parent / "tests" / "eval" / "queries.yaml")
    assert report["queries"] >= 25
    modes = report["modes"]
    assert modes["hybrid"].mrr > modes["bm25"].mrr
    assert modes["hybrid"].ndcg5 > modes["bm25"].ndcg5


def test_bm25_on_a_thread_answers_as_in_the_callers(real_kb: KnowledgeBase) -> None:
    """A big collection's BM25 runs beside the query's embedding: the answers are the same."""
    from kb.search.evaluate import load_queries
    from kb.search.searcher import Searcher

    plain = real_kb.searcher()
    threaded = Searcher(plain.version, plain.encoder, bm25_thread_from=1)
    assert plain.bm25_thread_from > len(plain)  # the real content is scored in the caller's thread
    for query in load_queries(REAL_CONTENT.parent / "tests" / "eval" / "queries.yaml")[:40]:
        for mode in ("hybrid", "bm25"):
            assert threaded.answer(query.text, 10, None, mode=mode) == plain.answer(query.text, 10, None, mode=mode)


def test_an_entrys_dense_score_is_its_best_passage_over_the_querys_forms(real_kb: KnowledgeBase) -> None:
    """A query's forms (as typed; expanded) are searched in turn; each entry keeps its best."""
    searcher = real_kb.searcher()
    forms = searcher.encoder.encode(["AHP workforce", "AHP (allied health professional) workforce"])
    everything = searcher.selections.get("all", {})
    best = searcher._dense(forms, everything, 50)
    apart = [searcher.dense.scores(form, everything, 50) for form in forms]
    assert best.keys() == apart[0][0].keys() | apart[1][0].keys()
    for entry, score in best.items():
        assert score == max(scores[entry] for scores, _ in apart if entry in scores)
    for (scores, where), form in zip(apart, forms, strict=True):
        for entry, row in where.items():  # the passage shown is the entry's closest
            assert row in searcher.version.rows_of[entry]
            assert np.isclose(float(np.max(searcher.dense.vectors[searcher.version.rows_of[entry]] @ form)), scores[entry], atol=1e-5)


def test_top_of_many_scores_is_the_same_as_a_plain_sort() -> None:
    """`top` takes a numpy short cut past 8k scores (a big index); ties still go by index."""
    import random

    from kb.search.searcher import top

    rng = random.Random(1)
    for _ in range(300):
        k = rng.randint(1, 60)
        scores = {rng.randint(0, 10**6): rng.choice([rng.random(), 0.5, 0.25, 1.0]) for _ in range(rng.randint(1, 3000))}
        assert top(scores, k) == sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
