"""GET /api/brief through the app's real HTTP client (httpx, ASGI transport), and from a
real `kb serve` process on a free loopback port."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from typer.testing import CliRunner

from kb.cli import app as cli
from kb.core import KnowledgeBase
from kb.web.app import create_app
from kb.web.security import BRIEF_POLICY
from tests.brief.conftest import MINI_CHALLENGE, OFF_TOPIC
from tests.conftest import KB, env_with, paths
from tests.helpers import kb_serve

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def api(fresh_mini: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    return create_app(KnowledgeBase.open(*fresh_mini))


def call(app: Any, **params: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb.test") as client:
            return await client.get("/api/brief", params=params)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "fmt, media, disposition",
    [
        ("md", "text/markdown; charset=utf-8", "attachment"),
        ("html", "text/html; charset=utf-8", "inline"),
        ("docx", DOCX, "attachment"),
        ("json", "application/json", None),
    ],
)
def test_each_format_with_its_media_type_and_file_name(api: Any, fmt: str, media: str, disposition: str | None) -> None:
    response = call(api, q=MINI_CHALLENGE, format=fmt)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media
    if disposition is None:
        assert "content-disposition" not in response.headers
    else:
        assert response.headers["content-disposition"].startswith(f'{disposition}; filename="kb-brief-dementia-training-in-care-homes')
        assert response.headers["content-disposition"].endswith(f'.{fmt}"')
    assert response.headers["content-security-policy"] == BRIEF_POLICY


def test_the_api_gives_what_kb_brief_gives(api: Any, fresh_mini: tuple[Path, Path]) -> None:
    """The same brief as the CLI, but for its links, which point into the server's own site."""
    body = call(api, q=MINI_CHALLENGE, format="json", theme="frailty").json()
    printed = CliRunner().invoke(cli, ["brief", MINI_CHALLENGE, "--format", "json", "--theme", "frailty", "--base-url", "http://kb.test/", *paths(*fresh_mini)])
    assert body == json.loads(printed.stdout)
    assert body["case_studies"][0]["url"] == "http://kb.test/case-studies/frailty-planning/"
    document = docx.Document(io.BytesIO(call(api, q=MINI_CHALLENGE, format="docx").content))
    assert [t.rows[0].cells[0].text for t in document.tables] == ["Measure"]
    assert "http://kb.test/case-studies/dementia-outreach/" in [h.address for p in document.paragraphs for h in p.hyperlinks]


def test_markdown_by_default_and_nothing_close(api: Any) -> None:
    assert call(api, q=MINI_CHALLENGE).text.startswith(f"# Evidence brief: {MINI_CHALLENGE}")
    body = call(api, q=OFF_TOPIC, format="json").json()
    assert body["nothing_close"] is True and body["case_studies"] == [] and body["sources"] == []


@pytest.mark.parametrize(
    "params, field, reason",
    [
        ({"q": ""}, "q", "at least 1 character"),
        ({"q": "   "}, "q", "the query is empty"),
        ({"q": "x" * 1001}, "q", "at most 1000 characters"),
        ({"q": "care\x1bhomes"}, "q", "U+001B is a control or bidirectional formatting character"),
        ({"q": "care \u202ehomes"}, "q", "U+202E"),
        ({"q": "care", "format": "pdf"}, "format", "'md', 'html', 'docx' or 'json'"),
        ({"q": "care", "theme": "frailtie"}, "theme", "did you mean 'frailty'"),
        ({"q": "care", "barrier": "x" * 101}, "barrier", "at most 100 characters"),
        ({}, "q", "Field required"),
    ],
)
def test_bad_parameters_are_422_as_for_search(api: Any, params: dict[str, str], field: str, reason: str) -> None:
    response = call(api, **params)
    assert response.status_code == 422 and response.headers["content-type"] == "application/json"
    assert any(d["loc"] == ["query", field] and reason in d["msg"] for d in response.json()["detail"]), response.json()


def test_the_openapi_document_declares_the_brief(api: Any) -> None:
    async def spec() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://kb.test") as client:
            return (await client.get("/api/openapi.json")).json()  # type: ignore[no-any-return]

    document = asyncio.run(spec())
    operation = document["paths"]["/api/brief"]["get"]
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["format"]["enum"] == ["md", "html", "docx", "json"]
    assert parameters["theme"]["enum"] == sorted(["dementia", "frailty", "workforce-planning", "technology", "integration"])
    assert "pattern" in parameters["q"] and parameters["q"]["maxLength"] == 1000
    content = operation["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Brief"}
    assert {"text/markdown", "text/html", DOCX} <= set(content)
    assert {"case_studies", "sections", "sources", "nothing_close"} <= set(document["components"]["schemas"]["Brief"]["properties"])


@pytest.mark.slow
def test_a_real_server_hands_over_a_word_brief(fresh_mini: tuple[Path, Path]) -> None:
    with kb_serve(KB, *fresh_mini, env=env_with()) as (base, _proc):
        response = httpx.get(f"{base}/api/brief", params={"q": MINI_CHALLENGE, "format": "docx", "theme": "dementia"}, timeout=30)
        assert response.status_code == 200 and response.headers["content-type"] == DOCX
        document = docx.Document(io.BytesIO(response.content))
        links = [h.address for p in document.paragraphs for h in p.hyperlinks]
        assert f"{base}/case-studies/dementia-outreach/" in links
        assert httpx.get(f"{base}/case-studies/dementia-outreach/").status_code == 200  # the link works
        assert httpx.get(f"{base}/api/brief", params={"q": ""}).status_code == 422
