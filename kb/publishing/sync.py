"""A replica follows its upstream: fetch, then fast-forward only.

A replica takes no writes, so its branch never has commits of its own; if it has (or if
someone edited files so that git would overwrite them), nothing is merged or thrown away
and the message says what to do. Uses the same ``git`` runner as approvals.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.curation.publish import Git
from kb.errors import PublishFailed, SyncFailed


@dataclass(frozen=True)
class Synced:
    before: str  # commit before and after ('' before the first commit)
    after: str
    upstream: str  # e.g. 'origin main'

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def message(self) -> str:
        if not self.changed:
            return f"already up to date with {self.upstream} ({self.after[:12]})"
        return f"fast-forwarded {self.before[:12]}..{self.after[:12]} from {self.upstream}"


def sync(content_root: Path) -> Synced:
    """Fetch the content's upstream branch and fast-forward to it; :class:`SyncFailed` if
    the content is not in git, has no upstream, or cannot be fast-forwarded."""
    git = Git.find(content_root)
    if git is None:
        raise SyncFailed(f"{content_root} is not in a git work tree: a replica's content is a clone of the primary's upstream")
    branch = git.value("symbolic-ref", "--quiet", "--short", "HEAD")
    remote = git.value("config", f"branch.{branch}.remote") if branch else ""
    merge = git.value("config", f"branch.{branch}.merge") if branch else ""
    if not (remote and merge) or remote == ".":
        raise SyncFailed(f"the branch {branch or '(detached HEAD)'} has no upstream to follow: set one with git branch --set-upstream-to")
    upstream = f"{remote} {merge.removeprefix('refs/heads/')}"
    try:
        git.run("fetch", "--quiet", remote, merge)
        before = git.value("rev-parse", "--verify", "--quiet", "HEAD")
        merged = git.run("merge", "--ff-only", "--quiet", "FETCH_HEAD", check=False)
    except PublishFailed as exc:  # the runner's error: git missing, timed out, fetch refused
        raise SyncFailed(str(exc).replace("git fetch failed", f"could not fetch {upstream}")) from None
    if merged.returncode != 0:
        raise SyncFailed(
            f"cannot fast-forward to {upstream}: this copy has commits or edits of its own "
            f"({_last_line(merged.stderr or merged.stdout)}). Nothing was changed; a replica takes no writes, "
            "so look at git status and git log, then reset it to the upstream"
        )
    return Synced(before, git.value("rev-parse", "HEAD"), upstream)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "git merge refused"
