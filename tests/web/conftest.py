"""What the tests of the API share: the app over a private mini project, with tokens of
each role and three pending submissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.web.app import create_app
from tests.conftest import new_case_study
from tests.helpers import call


def sent(entry_id: str) -> dict[str, Any]:
    return {k: v for k, v in new_case_study(entry_id, contributor="Dr Jane Contributor").items() if k not in {"status", "added"}}


@pytest.fixture
def site(fresh_mini: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The app over a private mini project, two contributors, a reviewer, and two submissions
    from the first contributor and one from the second."""
    monkeypatch.delenv("KB_SUBMISSIONS", raising=False)
    content, data = fresh_mini
    auth = {
        name: {"Authorization": f"Bearer {tokens.create(data, name, role)}"}
        for name, role in [("college", "contributor"), ("vanguard", "contributor"), ("curator", "reviewer")]
    }
    app = create_app(KnowledgeBase.open(content, data))
    for who, entry_id in [("college", "ambulance-pharmacists"), ("college", "second-pharmacists"), ("vanguard", "vanguard-own")]:
        answer = call(app, "POST", "/api/submissions", json=sent(entry_id), headers=auth[who])
        assert answer.status_code == 201, answer.text
    return {"app": app, "auth": auth, "content": content, "submissions": content.parent / "submissions"}
