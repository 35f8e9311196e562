"""Approvals as git commits (kb.curation.publish): real repositories in temporary folders,
with a bare repository as the upstream."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from kb.cli import app as cli
from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.curation.publish import author_email, commit_message
from kb.curation.review import Approved, approve, reject
from kb.curation.store import SubmissionStore
from kb.web.app import create_app
from tests.conftest import new_case_study

ENTRY_ID = "ambulance-pharmacists"
ENTRY_PATH = f"content/case_studies/{ENTRY_ID}.yaml"
AUTHOR = "Dr Jane Contributor <royal-college@contributors.kb.invalid>"
HOST = "Host Committer <host@example.org>"
SUBJECT = f"Publish case-study {ENTRY_ID}: Pharmacists in the ambulance control room"
SETUP = ["-c", "user.name=Setup", "-c", "user.email=setup@example.org"]


# --- helpers ---------------------------------------------------------------------------


def git(where: Path, *args: str) -> str:
    done = subprocess.run(["git", *SETUP, *args], cwd=where, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def new_case(entry_id: str = ENTRY_ID) -> dict[str, Any]:
    """A valid case study unlike any in the mini content, as a contributor sends it."""
    entry = new_case_study(entry_id, contributor="Dr Jane Contributor")
    return {k: v for k, v in entry.items() if k not in {"status", "added"}}  # the reviewer's to set


def submit(content: Path, data: Path, entry: dict[str, Any]) -> None:
    """Send ``entry`` through the API, as the token 'royal-college'."""
    token = tokens.create(data, "royal-college")
    app = create_app(KnowledgeBase.open(content, data))

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kb.test", timeout=120) as client:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            return await client.post("/api/submissions", content=json.dumps(entry), headers=headers)

    response = asyncio.run(send())
    assert response.status_code == 201, response.text


def approve_now(content: Path, data: Path, push: bool | None = None) -> Approved:
    kb = KnowledgeBase.open(content, data)
    return approve(kb, SubmissionStore.for_content(kb.root), ENTRY_ID, "Ann Curator", push=push)


def approve_cli(content: Path, data: Path, *extra: str) -> Any:
    args = ["review", "approve", ENTRY_ID, "--reviewer", "Ann Curator", *extra, "--content", str(content), "--data", str(data)]
    result = CliRunner().invoke(cli, args)
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No global or system git settings (so no identity) and no identity variables."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_DIR", "GIT_WORK_TREE", "EMAIL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(fresh_mini: tuple[Path, Path], isolated_git: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The mini project as a git work tree (content committed, the host's identity set)
    tracking a bare upstream; an unrelated file is left modified. (content, data, upstream)"""
    content, data = fresh_mini
    top = content.parent
    upstream = tmp_path_factory.mktemp("upstream") / "kb.git"
    git(top.parent, "init", "--quiet", "--bare", "-b", "main", str(upstream))
    git(top, "init", "--quiet", "-b", "main")
    git(top, "config", "user.name", "Host Committer")
    git(top, "config", "user.email", "host@example.org")
    (top / ".gitignore").write_text(".kb/\nsubmissions/\n")
    (top / "NOTES.md").write_text("notes\n")
    git(top, "add", ".")
    git(top, "commit", "--quiet", "-m", "Start")
    git(top, "remote", "add", "origin", str(upstream))
    git(top, "push", "--quiet", "-u", "origin", "main")
    (top / "NOTES.md").write_text("notes, edited and not for kb to commit\n")
    submit(content, data, new_case())
    return content, data, upstream


def other_clone_pushes(upstream: Path, where: Path, path: str, text: str) -> str:
    """Another curator's clone pushes ``text`` at ``path``; returns its commit."""
    git(where, "clone", "--quiet", str(upstream), "other")
    other = where / "other"
    (other / path).parent.mkdir(parents=True, exist_ok=True)
    (other / path).write_text(text)
    git(other, "add", path)
    git(other, "commit", "--quiet", "-m", f"Add {path}")
    git(other, "push", "--quiet", "origin", "main")
    return git(other, "rev-parse", "HEAD")


def changed_files(top: Path, commit: str = "HEAD") -> list[str]:
    return git(top, "show", "--name-only", "--format=", commit).splitlines()


# --- tests -----------------------------------------------------------------------------


def test_approving_commits_only_the_new_file_as_the_contributor_and_pushes(repo: tuple[Path, Path, Path]) -> None:
    content, data, upstream = repo
    top = content.parent
    before = git(top, "rev-parse", "HEAD")
    (top / "STAGED.md").write_text("staged by hand, not for kb to commit\n")
    git(top, "add", "STAGED.md")
    result = approve_cli(content, data)

    assert git(top, "rev-list", "--count", f"{before}..HEAD") == "1"
    assert changed_files(top) == [ENTRY_PATH]
    assert git(top, "log", "-1", "--format=%an <%ae>") == AUTHOR
    assert git(top, "log", "-1", "--format=%cn <%ce>") == HOST
    assert git(top, "log", "-1", "--format=%s") == SUBJECT
    assert git(top, "log", "-1", "--format=%(trailers:key=Reviewed-by,valueonly)") == "Ann Curator"
    # The unrelated edit and the staged file are still there, uncommitted; nothing else is.
    assert git(top, "status", "--porcelain").splitlines() == ["M NOTES.md", "A  STAGED.md"]
    # Pushed to the upstream.
    head = git(top, "rev-parse", "HEAD")
    assert git(upstream, "rev-parse", "main") == head
    assert "pushed to origin main" in " ".join(result.output.split())


@pytest.mark.parametrize("how", ["--no-push", "KB_PUSH=0"])
def test_no_push_or_kb_push_0_commits_without_pushing(repo: tuple[Path, Path, Path], how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    content, data, upstream = repo
    top = content.parent
    remote_before = git(upstream, "rev-parse", "main")
    if how == "KB_PUSH=0":
        monkeypatch.setenv("KB_PUSH", "0")
        result = approve_cli(content, data)
    else:
        result = approve_cli(content, data, "--no-push")
    assert changed_files(top) == [ENTRY_PATH]
    assert git(upstream, "rev-parse", "main") == remote_before
    assert "not pushed" in " ".join(result.output.split())


def test_a_moved_upstream_is_fetched_and_the_commit_rebased_and_pushed(repo: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    content, data, upstream = repo
    top = content.parent
    theirs = other_clone_pushes(upstream, tmp_path_factory.mktemp("clone"), "content/OTHER.md", "another curator's change\n")

    done = approve_now(content, data)

    assert done.git is not None and done.git.pushed and not done.git.warning, done.git
    head = git(top, "rev-parse", "HEAD")
    assert done.git.commit == head == git(upstream, "rev-parse", "main")
    assert git(top, "rev-parse", "HEAD~1") == theirs
    assert changed_files(top) == [ENTRY_PATH]
    assert git(top, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s") == f"{AUTHOR}|{HOST}|{SUBJECT}"
    assert (top / "content" / "OTHER.md").read_text() == "another curator's change\n"
    assert git(top, "status", "--porcelain") == "M NOTES.md"  # the unrelated edit survived


def test_a_real_conflict_keeps_the_commit_local_and_says_so(repo: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    content, data, upstream = repo
    top = content.parent
    theirs = other_clone_pushes(upstream, tmp_path_factory.mktemp("clone"), ENTRY_PATH, "id: someone-else\n")

    result = approve_cli(content, data)

    text = " ".join(result.output.split())
    assert "NOT pushed" in text and f"conflicting change (it has its own {ENTRY_PATH})" in text and "kept in your local branch" in text
    # Nothing lost: the commit is local with the new file; the upstream keeps theirs.
    assert git(upstream, "rev-parse", "main") == theirs
    assert changed_files(top) == [ENTRY_PATH]
    assert git(top, "log", "-1", "--format=%s") == SUBJECT
    assert "id: ambulance-pharmacists" in (content / "case_studies" / f"{ENTRY_ID}.yaml").read_text()
    assert not (top / ".git" / "rebase-merge").exists() and not (top / ".git" / "rebase-apply").exists()
    assert git(top, "status", "--porcelain") == "M NOTES.md"
    assert git(top, "stash", "list") == ""


def test_a_rejection_makes_no_commit(repo: tuple[Path, Path, Path]) -> None:
    content, _, upstream = repo
    top = content.parent
    before = git(top, "rev-parse", "HEAD")
    reject(SubmissionStore.for_content(content), ENTRY_ID, "Not in scope.", "Ann Curator")
    assert git(top, "rev-parse", "HEAD") == before == git(upstream, "rev-parse", "main")
    assert git(top, "status", "--porcelain") == "M NOTES.md"


def test_no_upstream_and_no_identity_commit_locally_as_kb_on_this_host(repo: tuple[Path, Path, Path]) -> None:
    content, data, _ = repo
    top = content.parent
    git(top, "branch", "--quiet", "--unset-upstream")
    git(top, "config", "--unset", "user.name")
    git(top, "config", "--unset", "user.email")

    done = approve_now(content, data)

    assert done.git is not None and not done.git.pushed and "no upstream" in done.git.message
    committer = git(top, "log", "-1", "--format=%cn <%ce>")
    assert committer.startswith(f"kb on {socket.gethostname()} <kb@") and committer.endswith(".invalid>")
    assert git(top, "log", "-1", "--format=%an <%ae>") == AUTHOR


def test_content_outside_git_behaves_as_before(fresh_mini: tuple[Path, Path], isolated_git: None) -> None:
    content, data = fresh_mini
    submit(content, data, new_case())
    done = approve_now(content, data)
    assert done.git is None
    assert done.path == content / "case_studies" / f"{ENTRY_ID}.yaml" and done.path.exists()
    assert not (content.parent / ".git").exists()


def test_identities_and_messages_are_one_safe_line() -> None:
    assert author_email("rcn@curators") == "rcn-curators@contributors.kb.invalid"
    assert commit_message("top-tip", "a-tip", "A\ntitle <b>", "Ann\nCurator") == "Publish top-tip a-tip: A title b\n\nReviewed-by: Ann Curator\n"
