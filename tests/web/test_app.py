"""The JSON API through a real HTTP client (httpx, ASGI transport), and once as a real
`kb serve` process on a free loopback port."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.core import KnowledgeBase
from kb.web.app import create_app
from tests.conftest import KB, OT, env_with, paths, with_glossary
from tests.helpers import kb_serve


@pytest.fixture
def api(fresh_mini):
    content, data = fresh_mini
    return create_app(KnowledgeBase.open(content, data))


def call(app, path: str, **params: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb.test") as client:
            return await client.get(path, params=params)

    return asyncio.run(go())


def test_search_returns_the_same_items_as_kb_find(api, fresh_mini) -> None:
    response = call(api, "/api/search", q="teaching nursing home staff about memory loss", k=3)
    assert response.status_code == 200
    body = response.json()
    from typer.testing import CliRunner

    from kb.cli import app as cli

    cli_body = json.loads(CliRunner().invoke(cli, ["find", "teaching nursing home staff about memory loss", "-k", "3", "--json", *paths(*fresh_mini)]).stdout)
    assert body == cli_body
    assert body["results"][0]["id"] == "dementia-outreach"
    assert body["expansions"] == [] and body["did_you_mean"] is None and body["no_close_match"] is False


def test_search_says_how_it_read_the_query_and_whether_anything_is_close(fresh_mini) -> None:
    content, data = fresh_mini
    with_glossary(content, OT)
    api = create_app(KnowledgeBase.open(content, data))
    body = call(api, "/api/search", q="OTs and dementai").json()
    assert body["expansions"] == [{"term": "OTs", "expansion": "occupational therapist"}]
    assert body["did_you_mean"] == "OTs and dementia" and body["no_close_match"] is False
    assert body["results"][0]["id"] == "dementia-outreach" and body["results"][0]["close"] is True
    off = call(api, "/api/search", q="staff canteen opening hours", mode="bm25").json()
    assert off["no_close_match"] is True and off["did_you_mean"] is None and off["expansions"] == []
    assert all(0 <= r["relevance"] < 0.5 and r["close"] is False for r in off["results"])
    # counted for kb gaps by its text alone (the close answer above was not)
    assert [(g.query, g.count) for g in KnowledgeBase.open(content, data).gaps()] == [("staff canteen opening hours", 1)]
    assert "testclient" not in (data / "gaps.json").read_text() and "127.0.0.1" not in (data / "gaps.json").read_text()


def test_search_filters_and_modes(api) -> None:
    body = call(api, "/api/search", q="dementia", theme="frailty", k=5).json()
    assert [r["id"] for r in body["results"]] == ["frailty-planning"]
    assert call(api, "/api/search", q="video links", mode="bm25").json()["results"][0]["id"] == "rural-telemedicine"
    assert len(call(api, "/api/search", q="care", type="all", k=7).json()["results"]) == 7


@pytest.mark.parametrize(
    "params, field, reason",
    [
        ({"q": ""}, "q", "at least 1 character"),
        ({"q": "   "}, "q", "the query is empty"),
        ({"q": "x" * 1001}, "q", "at most 1000 characters"),
        ({"q": "care", "k": 0}, "k", "greater than or equal to 1"),
        ({"q": "care", "k": 101}, "k", "less than or equal to 100"),
        ({"q": "care", "theme": "frailtie"}, "theme", "did you mean 'frailty'"),
        ({"q": "care", "kind": "vangard"}, "kind", "did you mean 'vanguard'"),
        ({"q": "care", "mode": "fast"}, "mode", "'hybrid', 'dense' or 'bm25'"),
        ({"q": "care", "type": "case-studies"}, "type", "case-study"),
        ({}, "q", "Field required"),
    ],
)
def test_invalid_parameters_are_422_with_field_and_reason(api, params, field: str, reason: str) -> None:
    response = call(api, "/api/search", **params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert any(d["loc"][-1] == field and reason in d["msg"] for d in detail), detail


def test_entries_listing_filters_and_pages(api) -> None:
    body = call(api, "/api/entries", type="case-study", limit=2).json()
    assert body["total"] == 4 and len(body["items"]) == 2 and body["offset"] == 0
    second = call(api, "/api/entries", type="case-study", limit=2, offset=2).json()
    assert {i["id"] for i in body["items"]}.isdisjoint({i["id"] for i in second["items"]})
    assert [i["id"] for i in call(api, "/api/entries", barrier="money-flows", type="case-study").json()["items"]] == ["navigators"]
    assert call(api, "/api/entries", enabler="nope").status_code == 422


def test_entry_similar_taxonomy_and_health(api) -> None:
    entry = call(api, "/api/entries/dementia-outreach").json()
    assert entry["organisation"] == "City CCG" and entry["metrics"][0]["as_reported"] == "12 homes"
    similar = call(api, "/api/entries/navigators/similar", k=2).json()
    assert len(similar) == 2 and "navigators" not in [s["id"] for s in similar]
    assert "frailty" in [t["id"] for t in call(api, "/api/taxonomy").json()["themes"]]
    health = call(api, "/api/health").json()
    assert health["status"] == "ok" and health["entries"] == 7 and health["built_at"] and health["index"] == "FlatIP"


def test_unknown_ids_and_paths_are_json_404(api) -> None:
    for path in ("/api/entries/nope", "/api/entries/nope/similar", "/api/nothing/here"):
        response = call(api, path)
        assert response.status_code == 404 and response.headers["content-type"] == "application/json", path
        assert "detail" in response.json()


def test_openapi_spec_describes_every_endpoint(api) -> None:
    spec = call(api, "/api/openapi.json").json()
    assert {"/api/search", "/api/entries", "/api/entries/{entry_id}", "/api/entries/{entry_id}/similar", "/api/taxonomy", "/api/health"} <= set(spec["paths"])
    assert call(api, "/api/docs").status_code == 200


def test_schemathesis_finds_no_server_errors(api) -> None:
    """Property-based requests from the OpenAPI spec (bounded): no 5xx, responses match it."""
    import schemathesis
    from hypothesis import HealthCheck, settings

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api)
    failures = []
    calls = []
    for operation in schema.get_all_operations():
        op = operation.ok()

        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @schemathesis_strategy(op)
        def check(case) -> None:
            response = case.call()
            calls.append(response.status_code)
            assert response.status_code < 500, (case.path, case.query, response.text)
            if response.status_code != 422:
                case.validate_response(response)

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, failures[:3]
    # It really exercised the API. (Never a 422: the spec declares every value the filters
    # and ids take, so requests made from it are valid; 401: a submission without a token.)
    assert len(calls) >= 50 and 200 in calls and 401 in calls


def schemathesis_strategy(op):
    from hypothesis import given

    return given(case=op.as_strategy())


@pytest.mark.slow
def test_real_kb_serve_process(fresh_mini) -> None:
    with kb_serve(KB, *fresh_mini, env=env_with()) as (base, _proc):
        health = httpx.get(f"{base}/api/health")
        assert health.status_code == 200 and health.json()["entries"] == 7
        found = httpx.get(f"{base}/api/search", params={"q": "care navigators"}).json()
        assert found["results"][0]["id"] == "navigators"
        assert httpx.get(f"{base}/api/search", params={"q": ""}).status_code == 422


def test_sources_give_each_report_with_its_caveats(real_index: Path) -> None:
    """The reports' own caveats qualify every figure drawn from them, so the API serves them."""
    from tests.conftest import REAL_CONTENT

    app = create_app(KnowledgeBase.open(REAL_CONTENT, real_index))
    documents = {d["id"]: d for d in call(app, "/api/sources").json()}
    assert len(documents) == 2
    for document in documents.values():
        assert document["caveats"] and all(c["text"] and c["source"]["document"] == document["id"] for c in document["caveats"])


def test_evidence_label_on_case_studies_and_search_results(api) -> None:
    from kb.evidence import LEVELS

    entry = call(api, "/api/entries/dementia-outreach").json()
    level, (label, explanation) = "described", LEVELS["described"]  # its one figure is a count: it describes, measures no change
    assert entry["evidence"] == {"level": level, "label": label, "explanation": explanation, "measured": 0, "surveyed": 0, "estimated": 0, "caveats": []}
    assert "evidence" not in call(api, "/api/entries/shared-learning").json()  # only case studies are rated
    results = call(api, "/api/search", q="dementia care homes", type="all", k=7).json()["results"]
    assert {r["id"]: r["evidence"] for r in results if r["type"] == "case-study"} == dict.fromkeys(
        [r["id"] for r in results if r["type"] == "case-study"], "described"
    )
    assert all(r["evidence"] is None for r in results if r["type"] != "case-study")
    spec = call(api, "/api/openapi.json").json()["components"]["schemas"]
    assert "evidence" in spec["SearchResult"]["properties"] and "evidence" in spec["CaseStudyAnswer"]["required"]
