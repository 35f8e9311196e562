"""Approvals as git commits: when ``content/`` is inside a git work tree, an approved entry
is committed on its own (the contributor as author, this host as committer) and pushed to
the branch's upstream, if it has one.

Runs the ``git`` command (with a timeout); no git library. Nothing here ever sweeps other
changes into the commit (a pathspec names the one file), rewrites anything but kb's own
unpushed commit, or throws work away: on any trouble the commit stays local and
:class:`Published` says so in words a reviewer can act on.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kb.errors import PublishFailed

PUSH_ENV = "KB_PUSH"
TIMEOUT = 60.0  # seconds, for any one git command (a push to a slow remote included)
EMAIL_DOMAIN = "contributors.kb.invalid"  # placeholder addresses: entries have no email field
ATTEMPTS = 3  # pushes tried when the upstream keeps moving


@dataclass(frozen=True)
class Published:
    """What happened in git; ``message`` is for the reviewer."""

    commit: str  # the commit's hash ('' if nothing was committed)
    pushed: bool
    message: str
    warning: bool = False  # something the reviewer must act on (a conflict, a failed push)


def push_wanted(push: bool | None = None) -> bool:
    """``push`` if given, else ``$KB_PUSH`` (``0``, ``false``, ``no`` or ``off`` turn it off)."""
    if push is not None:
        return push
    return os.environ.get(PUSH_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def _clean(text: str) -> str:
    """One line, with none of the characters git's identities and subjects cannot hold."""
    return " ".join(re.sub(r"[<>\x00-\x1f\x7f]", " ", text).split())


def author_email(submitted_by: str) -> str:
    """A placeholder address from the token's name (entries carry no email address)."""
    local = re.sub(r"[^A-Za-z0-9._-]+", "-", submitted_by).strip(".-") or "contributor"
    return f"{local}@{EMAIL_DOMAIN}"


def commit_message(entry_type: str, entry_id: str, title: str, reviewer: str) -> str:
    return f"Publish {entry_type} {entry_id}: {_clean(title)}\n\nReviewed-by: {_clean(reviewer)}\n"


class Git:
    """``git`` run in one work tree, with a timeout and no prompts."""

    def __init__(self, top: Path, env: dict[str, str]):
        self.top = top
        self.env = env

    @classmethod
    def find(cls, folder: Path) -> Git | None:
        """The work tree ``folder`` is in, or None (no git, or not in a work tree)."""
        if shutil.which("git") is None:
            return None
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # set by a hook, they would point elsewhere
            env.pop(name, None)
        probe = cls(folder, env)
        done = probe.run("rev-parse", "--is-inside-work-tree", "--show-toplevel", check=False)
        lines = done.stdout.splitlines()
        if done.returncode != 0 or not lines or lines[0] != "true":
            return None
        return cls(Path(lines[1]), env)

    def run(self, *args: str, check: bool = True, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.top,
                env={**self.env, **(env or {})},
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PublishFailed(f"git {args[0]} did not finish within {TIMEOUT:.0f} s") from None
        except OSError as exc:
            raise PublishFailed(f"cannot run git: {exc.strerror or exc}") from None
        if check and done.returncode != 0:
            raise PublishFailed(f"git {args[0]} failed: {_last_line(done)}")
        return done

    def value(self, *args: str) -> str:
        """The output of a query, or '' if it has none (an unset setting, no upstream)."""
        done = self.run(*args, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {done.returncode}"


def committer_env(git: Git) -> dict[str, str]:
    """This host's git identity; where it has none, 'kb on <hostname>' and a placeholder."""
    host = _clean(socket.gethostname()) or "localhost"
    env: dict[str, str] = {}
    if not (os.environ.get("GIT_COMMITTER_NAME") or git.value("config", "user.name")):
        env["GIT_COMMITTER_NAME"] = f"kb on {host}"
    if not (os.environ.get("GIT_COMMITTER_EMAIL") or git.value("config", "user.email")):
        env["GIT_COMMITTER_EMAIL"] = f"kb@{re.sub(r'[^A-Za-z0-9.-]+', '-', host)}.invalid"
    return env


def publish(path: Path, *, author: str, email: str, message: str, push: bool) -> Published | None:
    """Commit the new file ``path`` alone and push it; None if ``path`` is not in a git
    work tree. :class:`PublishFailed` if it could not be committed (the file is kept)."""
    git = Git.find(path.parent)
    if git is None:
        return None
    env = committer_env(git) | {"GIT_AUTHOR_NAME": _clean(author) or "contributor", "GIT_AUTHOR_EMAIL": email}
    relative = str(path.resolve().relative_to(git.top.resolve()))
    git.run("add", "--", relative)
    # A pathspec: only this file is committed, whatever else is changed or staged.
    git.run("commit", "--quiet", "--no-edit", "--cleanup=whitespace", "-F", "-", "--", relative, input=message, env=env)
    commit = git.value("rev-parse", "HEAD")
    short = commit[:12]
    if not push:
        return Published(commit, False, f"committed {short} (not pushed: push turned off)")
    try:
        return _push(git, commit, relative, env)
    except PublishFailed as exc:
        return Published(commit, False, f"committed {short} but not pushed ({exc}); it is safe in your local branch: push it with git push", warning=True)


def _push(git: Git, commit: str, relative: str, env: dict[str, str]) -> Published:
    branch = git.value("symbolic-ref", "--quiet", "--short", "HEAD")
    remote = git.value("config", f"branch.{branch}.remote") if branch else ""
    merge = git.value("config", f"branch.{branch}.merge") if branch else ""
    if not (remote and merge) or remote == ".":
        return Published(commit, False, f"committed {commit[:12]} (the branch has no upstream, so nothing was pushed)")
    tracking = git.value("rev-parse", "--verify", "--quiet", "@{upstream}")
    if tracking and git.value("rev-list", "--count", f"{tracking}..HEAD") not in {"", "1"}:
        return Published(commit, False, f"committed {commit[:12]} but not pushed: {branch} has other unpushed commits; push them when ready")
    for _ in range(ATTEMPTS):
        done = git.run("push", "--porcelain", remote, f"HEAD:{merge}", check=False)
        if done.returncode == 0:
            head = git.value("rev-parse", "HEAD")
            return Published(head, True, f"committed {head[:12]} and pushed to {remote} {merge.removeprefix('refs/heads/')}")
        if not re.search(r"\((fetch first|non-fast-forward)\)", done.stdout + done.stderr):
            raise PublishFailed(f"git push failed: {_last_line(done)}")
        # The upstream moved: fetch it and replay kb's one commit on top.
        git.run("fetch", "--quiet", remote, merge)
        head = git.value("rev-parse", "HEAD")
        rebased = git.run("rebase", "--quiet", "--autostash", "--onto", "FETCH_HEAD", f"{head}~1", check=False, env=env)
        if rebased.returncode != 0:
            git.run("rebase", "--abort", check=False)
            has_file = git.run("cat-file", "-e", f"FETCH_HEAD:{relative}", check=False).returncode == 0
            return Published(
                head,
                False,
                f"committed {head[:12]} but NOT pushed: {remote} {merge.removeprefix('refs/heads/')} has a conflicting change "
                f"({'it has its own ' + relative if has_file else 'git rebase failed'}). Your commit is kept in your local branch; "
                "resolve it with git pull --rebase, then git push",
                warning=True,
            )
    raise PublishFailed(f"the upstream kept moving ({ATTEMPTS} tries)")
