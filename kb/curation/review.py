"""A curator's decision on a pending submission: see it, approve it or reject it.

Only approval writes into ``content/``, and only after checking the entry again against
the content as it is that day; either decision is kept under ``approved/`` or ``rejected/``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kb.curation.checks import check_entry
from kb.curation.entries import render_entry_data, today, write_entry
from kb.curation.publish import Published, author_email, commit_message, publish, push_wanted
from kb.curation.store import Submission, SubmissionStore, now_iso
from kb.errors import EntryInvalid, KbError, PublishFailed

if TYPE_CHECKING:
    from kb.core import KnowledgeBase
    from kb.models import EntryBase


@dataclass
class Review:
    """What a curator sees before deciding."""

    submission: Submission
    text: str  # the entry as it would be written
    compared: Path | None  # the entry it is compared with: the same title, else the most similar
    diff: str  # unified diff from that entry's file to this submission ('' if none)


def _same(title: str) -> str:
    return " ".join(title.lower().split())


def review(kb: KnowledgeBase, store: SubmissionStore, entry_id: str) -> Review:
    submission = store.get(entry_id)
    text = render_entry_data(submission.entry)
    path = _compared(kb, submission)
    return Review(submission, text, path, _diff(path, text, submission.id) if path else "")


def _compared(kb: KnowledgeBase, submission: Submission) -> Path | None:
    """The existing entry a reviewer should hold it against: one with the same title (an
    edit, or a resubmission), else the most similar one found when it was submitted."""
    for entry in kb.content.entries.values():
        if _same(entry.title) == _same(submission.title):
            return kb.content.files[entry.id]
    for similar in submission.similar:  # most similar first
        if similar.get("id") in kb.content.files:
            return kb.content.files[similar["id"]]
    return None


def _diff(path: Path, text: str, submission_id: str) -> str:
    before = path.read_text(encoding="utf-8").splitlines(keepends=True)
    diff = difflib.unified_diff(
        before, text.splitlines(keepends=True), fromfile=f"content/{path.parent.name}/{path.name}", tofile=f"submission/{submission_id}.yaml"
    )
    return "".join(diff)


@dataclass
class Approved:
    entry: EntryBase
    path: Path
    record: Path
    # What happened in git: None when the content is not in a git work tree.
    git: Published | None = None


def approve(kb: KnowledgeBase, store: SubmissionStore, entry_id: str, reviewer: str, push: bool | None = None) -> Approved:
    """Publish a pending submission: checked again against today's content, written into
    ``content/`` (never over an entry), then recorded under ``approved/``.

    In a git work tree the new file, alone, is then committed with the contributor as
    author and pushed to the branch's upstream, unless ``push`` is False (None: ``$KB_PUSH``);
    see :mod:`kb.curation.publish`. The caller refreshes the index (it may need the model)."""
    if not reviewer.strip():
        raise KbError("say who is approving it: --reviewer NAME")
    submission = store.get(entry_id)
    decided = today()
    data = {**submission.entry, "status": "published", "reviewed_by": reviewer.strip(), "added": decided, "updated": decided}
    entry, problems = check_entry(data, kb.content, str(submission.path))
    if problems or entry is None:
        raise EntryInvalid(problems)
    path = write_entry(kb, entry)
    record = store.archive(
        submission, store.approved_dir, {"outcome": "approved", "by": reviewer.strip(), "at": now_iso(), "path": f"content/{path.parent.name}/{path.name}"}
    )
    author = str(submission.entry.get("contributor") or "").strip() or submission.submitted_by
    message = commit_message(entry.type, entry.id, entry.title, reviewer.strip())
    try:
        published = publish(path, author=author, email=author_email(submission.submitted_by), message=message, push=push_wanted(push))
    except PublishFailed as exc:  # the entry is published and recorded; only the commit is missing
        note = f"{path} is published but was not committed ({exc}); commit it by hand"
        return Approved(entry, path, record, Published("", False, note, warning=True))
    return Approved(entry, path, record, published)


def reject(store: SubmissionStore, entry_id: str, reason: str, reviewer: str) -> Path:
    """Turn a submission down; it is kept under ``rejected/`` with the reason."""
    if not reason.strip():
        raise KbError("give the contributor a reason: --reason TEXT")
    submission = store.get(entry_id)
    return store.archive(submission, store.rejected_dir, {"outcome": "rejected", "by": reviewer, "at": now_iso(), "reason": reason.strip()})
