"""`kb serve --read-only [--primary URL]`: a replica answers every read and refuses
submissions with a 405 that names the primary (issue 12, item 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from kb.cli import app as cli_app
from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.web.app import create_app
from tests.conftest import KB, env_with
from tests.helpers import call, kb_serve

PRIMARY = "https://kb.example.org"
ENTRY = {
    "id": "sent-to-a-replica",
    "type": "case-study",
    "title": "A replica's entry",
    "organisation": "Somewhere",
    "organisation_kind": "vanguard",
    "summary": "A summary.",
    "approach": "An approach.",
    "sources": [{"document": "doc-a", "page": 3}],
}


def nothing_pending(content: Path) -> bool:
    pending = content.parent / "submissions" / "pending"
    return not pending.exists() or not list(pending.iterdir())


@pytest.fixture
def replica(fresh_mini: tuple[Path, Path]) -> tuple[Any, dict[str, str], Path]:
    content, data = fresh_mini
    auth = {"Authorization": f"Bearer {tokens.create(data, 'tests')}"}
    return create_app(KnowledgeBase.open(content, data), read_only=True, primary=PRIMARY + "/"), auth, content


def test_a_submission_to_a_replica_is_405_naming_the_primary(replica: tuple[Any, dict[str, str], Path]) -> None:
    app, auth, content = replica
    response = call(app, "POST", "/api/submissions", json=ENTRY, headers=auth)
    assert response.status_code == 405, response.text
    assert response.json() == {"detail": f"this is a read-only replica; send submissions to {PRIMARY}/api/submissions"}
    assert response.headers["allow"] == ""  # no method is allowed here (RFC 9110, 10.2.1)
    assert response.headers["content-type"] == "application/json"
    assert nothing_pending(content)


def test_a_replica_refuses_before_the_token_or_the_body_is_looked_at(replica: tuple[Any, dict[str, str], Path]) -> None:
    app, _, content = replica
    assert call(app, "POST", "/api/submissions", json=ENTRY).status_code == 405  # no token: not 401
    assert call(app, "POST", "/api/submissions", content=b"x" * 10, headers={"Content-Type": "text/plain"}).status_code == 405  # not 415
    assert nothing_pending(content)


def test_a_replica_still_answers_reads(replica: tuple[Any, dict[str, str], Path]) -> None:
    app, _, _ = replica
    assert call(app, "GET", "/api/health").status_code == 200
    assert call(app, "GET", "/api/entries/navigators").status_code == 200
    assert call(app, "GET", "/api/search", params={"q": "care", "mode": "bm25"}).status_code == 200


def test_the_spec_of_a_replica_says_submissions_are_refused(replica: tuple[Any, dict[str, str], Path], fresh_mini: tuple[Path, Path]) -> None:
    app, _, _ = replica
    operation = call(app, "GET", "/api/openapi.json").json()["paths"]["/api/submissions"]["post"]
    assert operation["description"].startswith("**Refused here with 405**") and f"{PRIMARY}/api/submissions" in operation["description"]
    assert "405" in operation["responses"] and f"{PRIMARY}/api/submissions" in operation["responses"]["405"]["description"]
    # A writable app's spec is not changed (each app has its own spec).
    writable = create_app(KnowledgeBase.open(*fresh_mini))
    normal = call(writable, "GET", "/api/openapi.json").json()["paths"]["/api/submissions"]["post"]
    assert "405" not in normal["responses"] and "Refused" not in normal["description"]


def test_a_replica_without_a_primary_says_so(fresh_mini: tuple[Path, Path]) -> None:
    app = create_app(KnowledgeBase.open(*fresh_mini), read_only=True)
    response = call(app, "POST", "/api/submissions", json=ENTRY)
    assert response.status_code == 405 and "read-only replica" in response.json()["detail"] and "primary" in response.json()["detail"]


def test_a_primary_without_read_only_is_refused(fresh_mini: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="read-only"):
        create_app(KnowledgeBase.open(*fresh_mini), primary=PRIMARY)
    content, data = fresh_mini
    runner = CliRunner()
    alone = runner.invoke(cli_app, ["serve", "--primary", PRIMARY, "--content", str(content), "--data", str(data)])
    assert alone.exit_code == 2 and "--read-only" in alone.output
    not_a_url = runner.invoke(cli_app, ["serve", "--read-only", "--primary", "kb.example.org", "--content", str(content), "--data", str(data)])
    assert not_a_url.exit_code == 2 and "URL" in not_a_url.output


def test_kb_serve_read_only_refuses_submissions_naming_the_primary(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    token = tokens.create(data, "tests")
    with kb_serve(KB, content, data, "--read-only", "--primary", PRIMARY, env=env_with()) as (base, _proc):
        assert httpx.get(f"{base}/api/entries/navigators", timeout=30).status_code == 200
        body = json.dumps(ENTRY).encode()
        response = httpx.post(
            f"{base}/api/submissions", content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, timeout=30
        )
        assert response.status_code == 405, response.text
        assert response.json()["detail"] == f"this is a read-only replica; send submissions to {PRIMARY}/api/submissions"
        assert response.headers["allow"] == ""
        spec = httpx.get(f"{base}/api/openapi.json", timeout=30).json()
        assert "405" in spec["paths"]["/api/submissions"]["post"]["responses"]
    assert nothing_pending(content)


def test_workers_read_the_replica_settings_as_kb_serve_leaves_them(fresh_mini: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """`kb serve --workers N` starts each worker with app_from_env, from the environment."""
    from kb.web.app import app_from_env

    content, data = fresh_mini
    monkeypatch.setenv("KB_CONTENT", str(content))
    monkeypatch.setenv("KB_DATA", str(data))
    monkeypatch.setenv("KB_READ_ONLY", "1")
    monkeypatch.setenv("KB_PRIMARY", PRIMARY)
    response = call(app_from_env(), "POST", "/api/submissions", json=ENTRY)
    assert response.status_code == 405 and PRIMARY in response.json()["detail"]
    monkeypatch.setenv("KB_READ_ONLY", "")
    monkeypatch.setenv("KB_PRIMARY", "")
    assert call(app_from_env(), "POST", "/api/submissions", json=ENTRY).status_code == 401  # writable: the token is asked for
