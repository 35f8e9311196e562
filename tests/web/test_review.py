"""The API behind the contribute and review pages (issue 13, item 4): tokens with roles,
each contributor's own submissions with their status, a reviewer's pending list, approve
and reject, 401 and 403 in the usual JSON shape, and the audit log of every decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.core import KnowledgeBase
from kb.curation import audit, tokens
from kb.web.app import create_app
from tests.helpers import call


def ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()]


def test_tokens_carry_a_role_and_the_list_shows_it(tmp_path: Path) -> None:
    tokens.create(tmp_path, "college")
    tokens.create(tmp_path, "curator", "reviewer")
    assert [(r["name"], r["role"]) for r in (t.public() for t in tokens.load(tmp_path))] == [("college", "contributor"), ("curator", "reviewer")]
    with pytest.raises(tokens.TokenError, match="'admin' is not a role; use one of contributor, reviewer"):
        tokens.create(tmp_path, "boss", "admin")


def test_a_token_made_before_roles_is_a_contributors(tmp_path: Path) -> None:
    (tmp_path / "tokens.json").write_text(json.dumps({"tokens": [{"name": "old", "sha256": tokens.digest("kbt_x"), "created": "2026-01-01T00:00:00+00:00"}]}))
    holder = tokens.holder(tmp_path, "kbt_x")
    assert holder is not None and holder.role == "contributor"


def test_the_invite_link_carries_the_token_after_the_hash() -> None:
    assert tokens.invite_link("https://kb.example.org/", "kbt_abc") == "https://kb.example.org/contribute/#token=kbt_abc"


def test_each_sees_what_is_theirs_to_see(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    assert ids(call(app, "GET", "/api/submissions", headers=auth["college"])) == ["ambulance-pharmacists", "second-pharmacists"]
    assert ids(call(app, "GET", "/api/submissions", headers=auth["vanguard"])) == ["vanguard-own"]
    assert sorted(ids(call(app, "GET", "/api/submissions", headers=auth["curator"]))) == ["ambulance-pharmacists", "second-pharmacists", "vanguard-own"]
    theirs = call(app, "GET", "/api/submissions/vanguard-own", headers=auth["college"])
    assert theirs.status_code == 404 and theirs.json() == {"detail": "no pending submission of yours with id 'vanguard-own'"}
    own = call(app, "GET", "/api/submissions/ambulance-pharmacists", headers=auth["college"]).json()
    assert own["status"] == "pending" and "id: ambulance-pharmacists" in own["text"]
    assert own["sources"] == [{"document": "doc-a", "title": "Report A", "where": "p3"}]


def test_without_a_token_401_and_with_a_contributors_403(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    assert call(app, "GET", "/api/submissions").status_code == 401
    assert call(app, "GET", "/api/submissions", headers={"Authorization": "Bearer kbt_wrong"}).status_code == 401
    refused = call(app, "POST", "/api/submissions/ambulance-pharmacists/approve", headers=auth["college"])
    assert refused.status_code == 403 and "need a reviewer's token" in refused.json()["detail"]
    assert call(app, "POST", "/api/submissions/ambulance-pharmacists/reject", json={"reason": "no"}, headers=auth["vanguard"]).status_code == 403
    assert not (site["content"] / "case_studies" / "ambulance-pharmacists.yaml").exists()


def test_a_reviewer_approves_and_the_contributor_sees_it_published(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    done = call(app, "POST", "/api/submissions/ambulance-pharmacists/approve", headers=auth["curator"])
    assert done.status_code == 200, done.text
    receipt = done.json()
    assert receipt["status"] == "published" and receipt["url"] == "case-studies/ambulance-pharmacists/"
    assert receipt["path"] == "content/case_studies/ambulance-pharmacists.yaml" and receipt["commit"] == ""
    assert "reviewed_by: curator" in (site["content"] / "case_studies" / "ambulance-pharmacists.yaml").read_text()
    mine = {s["id"]: s for s in call(app, "GET", "/api/submissions", headers=auth["college"]).json()}
    assert mine["ambulance-pharmacists"]["status"] == "published" and mine["ambulance-pharmacists"]["decided_by"] == "curator"
    assert mine["ambulance-pharmacists"]["url"] == "case-studies/ambulance-pharmacists/"
    assert "ambulance-pharmacists" not in ids(call(app, "GET", "/api/submissions", headers=auth["curator"]))
    again = call(app, "POST", "/api/submissions/ambulance-pharmacists/approve", headers=auth["curator"])
    assert again.status_code == 404


def test_a_rejection_needs_a_reason_that_the_contributor_sees(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x", "extra": 1}, {"reason": "bad\u202eevil"}):
        answer = call(app, "POST", "/api/submissions/second-pharmacists/reject", json=body, headers=auth["curator"])
        assert answer.status_code == 422, (body, answer.text)
        assert isinstance(answer.json()["detail"], list)
    done = call(app, "POST", "/api/submissions/second-pharmacists/reject", json={"reason": "The same as ambulance-pharmacists."}, headers=auth["curator"])
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    mine = {s["id"]: s for s in call(app, "GET", "/api/submissions", headers=auth["college"]).json()}
    assert mine["second-pharmacists"]["status"] == "rejected" and mine["second-pharmacists"]["reason"] == "The same as ambulance-pharmacists."
    assert not (site["content"] / "case_studies" / "second-pharmacists.yaml").exists()


def test_every_submission_and_decision_is_in_the_audit_log(site: dict[str, Any]) -> None:
    app, auth = site["app"], site["auth"]
    call(app, "POST", "/api/submissions/ambulance-pharmacists/approve", headers=auth["curator"])
    call(app, "POST", "/api/submissions/second-pharmacists/reject", json={"reason": "Duplicate."}, headers=auth["curator"])
    events = [(e["event"], e["id"], e["by"]) for e in audit.events(site["submissions"])]
    assert events == [
        ("submitted", "ambulance-pharmacists", "college"),
        ("submitted", "second-pharmacists", "college"),
        ("submitted", "vanguard-own", "vanguard"),
        ("approved", "ambulance-pharmacists", "curator"),
        ("rejected", "second-pharmacists", "curator"),
    ]
    assert audit.events(site["submissions"])[-1]["reason"] == "Duplicate."
    assert all(e["at"] for e in audit.events(site["submissions"]))


def test_the_review_routes_are_in_the_openapi_document(site: dict[str, Any]) -> None:
    spec = call(site["app"], "GET", "/api/openapi.json").json()
    for path, method in [
        ("/api/submissions", "get"),
        ("/api/submissions/{entry_id}", "get"),
        ("/api/submissions/{entry_id}/approve", "post"),
        ("/api/submissions/{entry_id}/reject", "post"),
    ]:
        operation = spec["paths"][path][method]
        assert {"401", "403"} <= set(operation["responses"]), path


def test_a_replica_refuses_decisions_naming_the_primary(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    auth = {"Authorization": f"Bearer {tokens.create(data, 'curator', 'reviewer')}"}
    app = create_app(KnowledgeBase.open(content, data), read_only=True, primary="https://kb.example.org")
    refused = call(app, "POST", "/api/submissions/anything/approve", headers=auth)
    assert refused.status_code == 405 and "https://kb.example.org/api/submissions/anything/approve" in refused.json()["detail"]


def test_kb_token_create_prints_an_invite_link_then_the_token(fresh_mini: tuple[Path, Path]) -> None:
    from typer.testing import CliRunner

    from kb.cli import app as cli

    content, data = fresh_mini
    args = [
        "token",
        "create",
        "--name",
        "curator",
        "--role",
        "reviewer",
        "--base-url",
        "https://kb.example.org",
        "--content",
        str(content),
        "--data",
        str(data),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    link, token = result.stdout.strip().splitlines()[-2:]
    assert link == f"https://kb.example.org/contribute/#token={token}" and token.startswith("kbt_")
    holder = tokens.holder(data, token)
    assert holder is not None and holder.role == "reviewer"
    listed = CliRunner().invoke(cli, ["token", "list", "--json", "--content", str(content), "--data", str(data)])
    assert json.loads(listed.stdout)[0]["role"] == "reviewer"
