"""Submissions waiting for review: received over the API, kept outside ``content/``.

A pending submission is a file of its own under ``pending/``; nothing in ``content/``
changes until a curator approves it (:mod:`kb.curation.review`), so nothing pending is
ever listed, searched or published. Files are linked into place (:func:`kb.files.write_new`),
so of two submissions racing for one id exactly one is stored.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb import documents
from kb.curation import audit
from kb.curation.body import ServerFields, parse_body
from kb.curation.checks import look_for_similar
from kb.curation.entries import check_id, dump_yaml, entry_data, existing_entry
from kb.errors import EntryExists, EntryInvalid, KbError, SubmissionExists, UnknownSubmission
from kb.files import write_new

if TYPE_CHECKING:
    from kb.content import Content
    from kb.core import KnowledgeBase
    from kb.models import EntryBase
    from kb.search.encoder import Encoder
    from kb.search.similarity import SimilarEntry

SUBMISSIONS_ENV = "KB_SUBMISSIONS"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Submission:
    """An entry waiting for review, with who sent it and when."""

    id: str
    submitted_by: str
    submitted_at: str
    entry: dict[str, Any]
    similar: list[dict[str, Any]]
    path: Path

    @property
    def title(self) -> str:
        return str(self.entry.get("title", ""))

    @property
    def type(self) -> str:
        return str(self.entry.get("type", ""))

    def summary_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "submitted_by": self.submitted_by,
            "submitted_at": self.submitted_at,
            "similar": self.similar,
        }


@dataclass(frozen=True)
class Decided:
    """A submission a reviewer approved or rejected."""

    submission: Submission
    outcome: str  # 'approved' or 'rejected'
    by: str
    at: str
    reason: str | None


class SubmissionStore:
    """``pending/<id>.yaml`` waiting for review; ``approved/`` and ``rejected/`` keep the
    record of each decision (``<id>.<time>.yaml``, so a resubmitted id never clashes)."""

    def __init__(self, root: Path):
        self.root = root
        self.pending_dir = root / "pending"
        self.approved_dir = root / "approved"
        self.rejected_dir = root / "rejected"

    @classmethod
    def for_content(cls, content_root: Path) -> SubmissionStore:
        """``$KB_SUBMISSIONS``, else ``submissions/`` beside the content folder: outside
        ``content/``, so nothing pending is ever listed, searched or published."""
        chosen = os.environ.get(SUBMISSIONS_ENV)
        return cls(Path(chosen).expanduser().resolve() if chosen else content_root.parent / "submissions")

    def _pending_path(self, entry_id: str) -> Path:
        return self.pending_dir / f"{check_id(entry_id)}.yaml"

    def is_pending(self, entry_id: str) -> bool:
        return self._pending_path(entry_id).exists()

    def add(self, entry: EntryBase, submitted_by: str, similar: list[SimilarEntry], content_root: Path) -> Submission:
        """Store ``entry`` as pending. :class:`EntryExists` or :class:`SubmissionExists` if
        the id is taken; the link makes the second of two racing submissions fail."""
        ensure_not_published(content_root, entry.id)
        record = {
            "submission": {"id": entry.id, "submitted_by": submitted_by, "submitted_at": now_iso(), "similar": [_similar_json(s) for s in similar]},
            # A draft until approved, whatever was sent: copied into content/ by hand, it stays hidden.
            "entry": entry_data(entry.model_copy(update={"status": "draft"})),
        }
        path = self._pending_path(entry.id)
        text = f"# kb submission waiting for review: kb review show {entry.id}\n" + dump_yaml(record)
        try:
            write_new(path, text, mode=0o600)
        except FileExistsError:
            raise SubmissionExists(entry.id) from None
        added = self._read(path)
        audit.record(self.root, "submitted", entry.id, submitted_by, added.submitted_at, type=entry.type, title=entry.title)
        return added

    def _read(self, path: Path) -> Submission:
        return self._read_raw(_read_record(path), path)

    def _read_raw(self, raw: dict[str, Any], path: Path) -> Submission:
        try:
            meta = raw["submission"]
            return Submission(meta["id"], meta["submitted_by"], meta["submitted_at"], raw["entry"], meta.get("similar", []), path)
        except (KeyError, TypeError) as exc:  # edited by hand
            raise KbError(f"{path} is not a readable submission (no {exc}); fix or move it") from None

    def pending(self) -> list[Submission]:
        """Waiting submissions, oldest first (hidden temporary files are not submissions)."""
        if not self.pending_dir.is_dir():
            return []
        found = [self._read(p) for p in self.pending_dir.glob("*.yaml") if not p.name.startswith(".")]
        return sorted(found, key=lambda s: (s.submitted_at, s.id))

    def get(self, entry_id: str) -> Submission:
        path = self._pending_path(entry_id)
        if not path.exists():
            raise UnknownSubmission(entry_id, [s.id for s in self.pending()])
        return self._read(path)

    def archive(self, submission: Submission, folder: Path, decision: dict[str, Any]) -> Path:
        """Record the decision beside the submission, then take it off the pending list.

        The record is written first: if kb stops between the two steps the submission is
        still pending (and can be decided again), never lost."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        raw = _read_record(submission.path)
        raw["decision"] = decision
        path = folder / f"{check_id(submission.id)}.{stamp}.yaml"
        write_new(path, dump_yaml(raw), mode=0o600)
        submission.path.unlink()
        details = {k: v for k, v in decision.items() if k in ("reason", "path")}
        audit.record(self.root, str(decision["outcome"]), submission.id, str(decision["by"]), str(decision["at"]), title=submission.title, **details)
        return path

    def decided(self) -> list[Decided]:
        """Every decision kept under ``approved/`` and ``rejected/``, oldest first."""
        found = []
        for folder in (self.approved_dir, self.rejected_dir):
            if not folder.is_dir():
                continue
            for path in folder.glob("*.yaml"):
                if path.name.startswith("."):
                    continue
                try:
                    raw = _read_record(path)
                    decision = raw["decision"]
                    found.append(Decided(self._read_raw(raw, path), str(decision["outcome"]), str(decision["by"]), str(decision["at"]), decision.get("reason")))
                except (KbError, KeyError, TypeError):
                    continue  # a record edited by hand: the audit log still has the event
        return sorted(found, key=lambda d: (d.at, d.submission.id))


def _read_record(path: Path) -> dict[str, Any]:
    """A submission's file, read as safely as anything sent in (it may be edited by hand)."""
    try:
        raw = documents.load(documents.read_text(path)).data
    except OSError as exc:
        raise KbError(f"cannot read {path}: {exc.strerror or exc}") from None
    except documents.DocumentError as exc:
        raise KbError(f"{path}:{exc.position.line}:{exc.position.column}: {exc.message}; fix or move it") from None
    if not isinstance(raw, dict):
        raise KbError(f"{path} is not a readable submission (not a mapping); fix or move it")
    return raw


def ensure_not_published(content_root: Path, entry_id: str) -> None:
    """:class:`EntryExists` if the content has the id, named as a sender knows the file
    (``content/…``): a server's own paths are not for its clients."""
    taken = existing_entry(content_root, entry_id)
    if taken is not None:
        raise EntryExists(entry_id, f"content/{taken.parent.name}/{taken.name}")


def _similar_json(similar: SimilarEntry) -> dict[str, Any]:
    return {"id": similar.id, "type": similar.type, "title": similar.title, "similarity": similar.similarity}


def similar_warning(subject: str, similar: dict[str, Any]) -> str:
    """:meth:`SimilarEntry.message`, for one kept as JSON (a stored submission, a receipt)."""
    return f"{subject} is very similar to '{similar['id']}' ({similar['title']}): similarity {similar['similarity']:.2f}; check it is not a duplicate"


@dataclass
class Received:
    submission: Submission
    similar: list[SimilarEntry]
    notes: list[str]
    set_by_server: list[str] = field(default_factory=list)  # values sent that the server replaced


def receive(
    kb: KnowledgeBase, store: SubmissionStore, content: Content, body: bytes, media: str, submitted_by: str, encoder: Encoder | None = None
) -> Received:
    """Check a submitted entry and store it as pending.

    :class:`EntryInvalid` lists every problem; :class:`EntryExists` /
    :class:`SubmissionExists` when the id is taken (checked before the costly similarity
    search, and again, race-free, when the file is linked into place). What the server
    sets (:class:`kb.curation.body.ServerFields`) is filled in first."""
    server = ServerFields(submitted_by)
    entry, problems = parse_body(body, media, content, server=server)
    if problems or entry is None:
        raise EntryInvalid(problems)
    ensure_not_published(kb.root, entry.id)
    if store.is_pending(entry.id):
        raise SubmissionExists(entry.id)
    similar, notes = look_for_similar(kb, entry, encoder, content)
    return Received(store.add(entry, submitted_by, similar, kb.root), similar, notes, server.notes)
