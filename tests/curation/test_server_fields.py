"""What the server fills in on a submission (issue 12, item 4): `added` and `updated`
(today), `status` (draft), `contributor` (the token's name when absent). A `status`
other than draft is refused, located; an `added` or `updated` sent is ignored, and the
receipt says so."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.web.app import create_app
from tests.helpers import call

PENDING = ("submissions", "pending")


def minimal(entry_id: str = "server-filled", **extra: Any) -> dict[str, Any]:
    """A case study with none of the fields the server sets."""
    entry = {
        "id": entry_id,
        "type": "case-study",
        "title": "Pharmacists in the ambulance control room",
        "organisation": "Coastal Ambulance Trust",
        "organisation_kind": "vanguard",
        "summary": "Clinical pharmacists answer medicines questions from paramedics by phone.",
        "approach": "Two pharmacists joined the clinical hub and took calls about medicines on scene.",
        "sources": [{"document": "doc-a", "page": 3}],
    }
    return entry | extra


@pytest.fixture
def sending(fresh_mini: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, str], Path]:
    """The app, a token's header (named 'royal-college') and the pending folder."""
    monkeypatch.delenv("KB_SUBMISSIONS", raising=False)
    monkeypatch.delenv("KB_RATE_LIMIT", raising=False)
    content, data = fresh_mini
    header = {"Authorization": f"Bearer {tokens.create(data, 'royal-college')}"}
    return create_app(KnowledgeBase.open(content, data)), header, content.parent.joinpath(*PENDING)


def stored(pending: Path, entry_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = yaml.safe_load((pending / f"{entry_id}.yaml").read_text())["entry"]
    return entry


def test_a_submission_without_the_server_fields_is_stored_with_the_servers_values(sending: tuple[Any, dict[str, str], Path]) -> None:
    app, auth, pending = sending
    response = call(app, "POST", "/api/submissions", json=minimal(), headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["set_by_server"] == []
    entry = stored(pending, "server-filled")
    today = dt.date.today()
    assert entry["added"] == entry["updated"] == today and entry["status"] == "draft"
    assert entry["contributor"] == "royal-college"  # the token's name


def test_yaml_without_the_server_fields_is_accepted_too(sending: tuple[Any, dict[str, str], Path]) -> None:
    app, auth, pending = sending
    body = yaml.safe_dump(minimal("yaml-filled", contributor="A Nurse"))
    response = call(app, "POST", "/api/submissions", content=body, headers=auth | {"Content-Type": "application/yaml"})
    assert response.status_code == 201, response.text
    assert stored(pending, "yaml-filled")["contributor"] == "A Nurse"  # named: kept


def test_dates_sent_are_ignored_and_the_receipt_says_so(sending: tuple[Any, dict[str, str], Path]) -> None:
    app, auth, pending = sending
    response = call(app, "POST", "/api/submissions", json=minimal(added="2001-01-01", updated="2002-02-02"), headers=auth)
    assert response.status_code == 201, response.text
    notes = response.json()["set_by_server"]
    assert [n.split(":")[0] for n in notes] == ["field 'added'", "field 'updated'"] and all("ignored" in n for n in notes)
    entry = stored(pending, "server-filled")
    assert entry["added"] == entry["updated"] == dt.date.today()


def test_a_date_sent_of_another_type_is_still_refused(sending: tuple[Any, dict[str, str], Path]) -> None:
    app, auth, pending = sending
    response = call(app, "POST", "/api/submissions", json=minimal(added=0), headers=auth)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "added"], response.text
    assert not pending.exists() or not list(pending.iterdir())


@pytest.mark.parametrize("media", ["application/json", "application/yaml"])
@pytest.mark.parametrize("status", ["published", "archived", 1])
def test_a_status_other_than_draft_is_refused_with_its_place_and_nothing_is_stored(sending: tuple[Any, dict[str, str], Path], media: str, status: Any) -> None:
    app, auth, pending = sending
    sent = minimal(status=status)
    body = json.dumps(sent, indent=1) if media == "application/json" else yaml.safe_dump(sent, sort_keys=False)
    response = call(app, "POST", "/api/submissions", content=body, headers=auth | {"Content-Type": media})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    refusal = next(d for d in detail if d["loc"] == ["body", "status"])
    assert refusal["msg"] == "field 'status': set by the reviewer when the entry is published; leave it out"
    assert refusal["line"] == next(i for i, line in enumerate(body.splitlines(), 1) if "status" in line)
    assert not pending.exists() or not list(pending.iterdir())


def test_a_status_refusal_comes_with_the_entrys_other_problems(sending: tuple[Any, dict[str, str], Path]) -> None:
    app, auth, _ = sending
    response = call(app, "POST", "/api/submissions", json=minimal(status="published", sources=[{"document": "doc-a", "page": True}]), headers=auth)
    assert response.status_code == 422
    assert {tuple(d["loc"][:3]) for d in response.json()["detail"]} >= {("body", "status"), ("body", "sources", 0)}, response.text


def test_status_draft_is_accepted(sending: tuple[Any, dict[str, str], Path]) -> None:
    app, auth, pending = sending
    assert call(app, "POST", "/api/submissions", json=minimal(status="draft"), headers=auth).status_code == 201
    assert stored(pending, "server-filled")["status"] == "draft"


def test_the_spec_makes_the_server_fields_optional(sending: tuple[Any, dict[str, str], Path]) -> None:
    app, _, _ = sending
    spec = call(app, "GET", "/api/openapi.json").json()
    model = spec["components"]["schemas"]["SubmittedCaseStudy"]
    assert not {"added", "updated", "status", "contributor"} & set(model["required"])
    assert model["properties"]["status"]["enum"] == ["draft"]
    receipt = spec["components"]["schemas"]["SubmissionReceipt"]
    assert "set_by_server" in receipt["required"]
