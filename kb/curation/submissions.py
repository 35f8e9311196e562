"""Curation: new entries, submissions over the API, and their review.

Two routes lead into ``content/``: a pull request with a YAML file (``kb new`` writes a
draft), or ``POST /api/submissions``, which stores a *pending* submission outside the
content folder until a curator approves it (``kb review approve``). Neither route can
publish without review: ``kb new`` writes ``status: draft`` (hidden from lists, search and
the site), and a pending submission is not in ``content/`` at all.

Nothing is ever overwritten or half-written. Files are written to a temporary file in the
target folder and then *linked* into place: ``os.link`` fails if the name exists, so two
writers racing for one id cannot both win, and a writer killed midway leaves at most a
hidden ``.*.tmp`` file, never a partial entry. No path is built from an id before the id
has been checked against the slug pattern.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import yaml

from kb import documents
from kb.entry_types import FOLDERS
from kb.files import write_new
from kb.errors import EntryExists, EntryInvalid, InvalidId, KbError, Problem, SubmissionExists, SubmitFailed, UnknownSubmission

if TYPE_CHECKING:
    from kb.content import Content
    from kb.core import KnowledgeBase
    from kb.models import EntryBase
    from kb.search.similarity import SimilarEntry

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # kb.models.SLUG, without importing pydantic
MAX_ID = 80
MAX_BODY_BYTES = documents.LIMITS.max_bytes  # one limit for a body and a file
JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
SUBMISSIONS_ENV = "KB_SUBMISSIONS"
RATE_LIMIT_ENV = "KB_RATE_LIMIT"
DEFAULT_RATE_LIMIT = 30  # submissions per token per minute: ample for people, not for a runaway script


def check_id(entry_id: str) -> str:
    """``entry_id`` if it is a slug; otherwise :class:`InvalidId`. Call before any path."""
    if not isinstance(entry_id, str) or len(entry_id) > MAX_ID or not SLUG.match(entry_id):
        raise InvalidId(str(entry_id))
    return entry_id


def today() -> dt.date:
    return dt.date.today()


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# --- finding existing entries --------------------------------------------------------------


def existing_entry(content_root: Path, entry_id: str) -> Path | None:
    """The file of the entry with this id, of any type (ids are unique across types)."""
    check_id(entry_id)
    for folder in FOLDERS.values():
        for suffix in (".yaml", ".yml"):
            path = content_root / folder / f"{entry_id}{suffix}"
            if path.exists():
                return path
    return None


def ensure_free(content_root: Path, entry_id: str) -> None:
    """:class:`EntryExists` if an entry already has ``entry_id`` (ask before, not after, the questions)."""
    taken = existing_entry(content_root, entry_id)
    if taken is not None:
        raise EntryExists(entry_id, str(taken))


def entry_file(content_root: Path, entry: EntryBase) -> Path:
    return content_root / FOLDERS[entry.type] / f"{check_id(entry.id)}.yaml"


# --- entries as YAML -------------------------------------------------------------------


def entry_data(entry: EntryBase) -> dict[str, Any]:
    """The entry as plain data in the order existing files use: id, type, title first;
    fields left at their defaults are left out, except status, which is always stated."""
    data = entry.model_dump(mode="python", exclude_defaults=True)
    data["status"] = entry.status
    ordered = {key: data.pop(key) for key in ("id", "type", "title") if key in data}
    ordered.update(data)
    return _tidy(ordered)


def _tidy(value: Any) -> Any:
    """Whole numbers as integers (7, not 7.0), as a person writes them."""
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _Dumper(yaml.SafeDumper):
    """Safe YAML; multi-line text as a block, so a reviewer's diff reads well."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # `added: 2026-01-02` twice, not an anchor and `*id001`


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def render_entry(entry: EntryBase) -> str:
    """The entry's file: the schema line editors use, then its fields."""
    return render_entry_data(entry_data(entry))


def render_entry_data(data: dict[str, Any]) -> str:
    return f"# yaml-language-server: $schema=../../schema/{data.get('type')}.schema.json\n" + dump_yaml(data)


# --- checking an entry -----------------------------------------------------------------


def check_entry(data: Any, content: Content, shown: str, located: Any = None) -> tuple[EntryBase | None, list[Problem]]:
    """Validate one entry exactly as `kb validate` does a file: its model, then every
    reference against the content."""
    from kb.content import parse_entry, reference_problems

    entry, problems = parse_entry(data, shown, located)
    if entry is not None:
        problems += reference_problems(entry, content, shown, located)
    return (entry if not problems else None), sorted(problems)


def field_problems(entry_type: str, name: str, value: Any, content: Content) -> list[str]:
    """What is wrong with one field's value, checked as the user types it."""
    from pydantic import TypeAdapter, ValidationError

    from kb.content import REFERENCE_FIELDS, reference_choices
    from kb.errors import did_you_mean
    from kb.models import ENTRY_MODELS

    info = ENTRY_MODELS[entry_type].model_fields[name]
    try:
        TypeAdapter(info.annotation if not info.metadata else _annotated(info)).validate_python(value)
    except ValidationError as exc:
        return [error_message(e) for e in exc.errors()]
    if name in REFERENCE_FIELDS:
        choices = reference_choices(content, REFERENCE_FIELDS[name])
        return [f"unknown {name.rstrip('s').replace('_', ' ')} '{v}'{did_you_mean(v, choices)}" for v in value if v not in choices]
    return []


def _annotated(info: Any) -> Any:
    from typing import Annotated

    return Annotated[(info.annotation, *info.metadata)]  # type: ignore[valid-type]


def error_message(error: Mapping[str, Any]) -> str:
    """One pydantic error as a person reads it (the same wording as `kb validate`)."""
    from kb.errors import did_you_mean

    where = ".".join(str(p) for p in error["loc"])
    given = error.get("input")
    if error["type"] == "string_pattern_mismatch":
        return f"'{given}' is not a slug (lowercase letters, digits and single hyphens)"
    if error["type"] == "literal_error" and isinstance(given, str):
        expected = error.get("ctx", {}).get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        return f"'{given}' is not one of {expected}{did_you_mean(given, options)}"
    return f"{where + ': ' if where else ''}{error['msg']}"


def slugify(text: str) -> str:
    """A suggested id from a title: lowercase words joined by hyphens, at most 80 characters."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > MAX_ID:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug


# --- kb new ----------------------------------------------------------------------------


def read_entry_file(path: Path) -> tuple[dict[str, Any], documents.Located]:
    """An entry's fields from a YAML or JSON file (`kb new --from`), with positions."""
    try:
        located = documents.load_any(documents.read_text(path), json_first=path.suffix.lower() == ".json")
    except OSError as exc:
        raise KbError(f"cannot read {path}: {exc.strerror or exc}") from None
    except documents.DocumentError as exc:
        raise EntryInvalid([Problem(str(path), exc.position.line, exc.position.column, exc.message)]) from None
    if not isinstance(located.data, dict):
        raise EntryInvalid([Problem(str(path), 1, 1, "expected a mapping of fields (an entry)")])
    return dict(located.data), located


def prepare_new(kb: KnowledgeBase, entry_type: str, data: dict[str, Any], shown: str | None = None, located: Any = None) -> EntryBase:
    """Check a new entry's data; it becomes a draft, added today unless it says otherwise.

    :class:`EntryInvalid` lists every problem; :class:`EntryExists` if the id is taken."""
    from kb.core import check_type

    check_type(entry_type, allow_all=False)
    given = data.get("type", entry_type)
    data = {**data, "type": given, "status": "draft"}  # a proposal until a reviewer publishes it
    data.setdefault("added", today())
    if "id" not in data and isinstance(data.get("title"), str):
        data["id"] = slugify(data["title"])  # as `kb new` suggests when it asks
    entry_id = data.get("id")
    shown = shown or (f"content/{FOLDERS[entry_type]}/{entry_id}.yaml" if isinstance(entry_id, str) and SLUG.match(entry_id) else f"new {entry_type}")
    if given != entry_type:
        raise EntryInvalid([Problem(shown, 1, 1, f"field 'type': '{given}' given for a new {entry_type}", "type")])
    entry, problems = check_entry(data, kb.content, shown, located)
    if problems or entry is None:
        raise EntryInvalid(problems)
    ensure_free(kb.root, entry.id)
    return entry


def write_entry(kb: KnowledgeBase, entry: EntryBase) -> Path:
    """Write a new entry file; never replaces one (:class:`EntryExists`)."""
    path = entry_file(kb.root, entry)
    try:
        write_new(path, render_entry(entry))
    except FileExistsError:
        raise EntryExists(entry.id, str(path)) from None
    kb.reload()
    return path


def look_for_similar(kb: KnowledgeBase, entry: EntryBase, encoder: Any = None, content: Content | None = None) -> tuple[list[SimilarEntry], list[str]]:
    """Entries very like ``entry``, with notes on anything not compared.

    Advisory: it helps a reviewer and never gates, so whatever goes wrong here (no index,
    a damaged one, no encoder) becomes a note and the entry is still written or stored."""
    from kb.search.similarity import similar_to

    try:
        return similar_to(entry, content or kb.content, kb.data_dir, encoder)
    except Exception as exc:  # noqa: BLE001 (see above: never lose an entry over a warning)
        return [], [f"similar entries were not looked for: {type(exc).__name__}: {exc}"]


# --- submissions -----------------------------------------------------------------------


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def parse_body(body: bytes, media: str, content: Content, shown: str = "submission") -> tuple[EntryBase | None, list[Problem]]:
    """A submitted entry (JSON or YAML bytes), checked exactly as `kb validate` checks a file."""
    try:
        located = documents.load_any(documents.decode(body), json_first=media in JSON_TYPES)
    except documents.DocumentError as exc:
        return None, [Problem(shown, exc.position.line, exc.position.column, exc.message)]
    return check_entry(located.data, content, shown, located)


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
        return {"id": self.id, "type": self.type, "title": self.title, "submitted_by": self.submitted_by, "submitted_at": self.submitted_at, "similar": self.similar}


class SubmissionStore:
    """``pending/<id>.yaml`` waiting for review; ``approved/`` and ``rejected/`` keep the
    record of each decision (``<id>.<time>.yaml``, so a resubmitted id never clashes)."""

    def __init__(self, root: Path):
        self.root = root
        self.pending_dir = root / "pending"
        self.approved_dir = root / "approved"
        self.rejected_dir = root / "rejected"

    @classmethod
    def for_content(cls, content_root: Path) -> "SubmissionStore":
        """``$KB_SUBMISSIONS``, else ``submissions/`` beside the content folder: outside
        ``content/``, so nothing pending is ever listed, searched or published."""
        chosen = os.environ.get(SUBMISSIONS_ENV)
        return cls(Path(chosen).expanduser().resolve() if chosen else content_root.parent / "submissions")

    def _pending_path(self, entry_id: str) -> Path:
        return self.pending_dir / f"{check_id(entry_id)}.yaml"

    def add(self, entry: EntryBase, submitted_by: str, similar: list[SimilarEntry], content_root: Path) -> Submission:
        """Store ``entry`` as pending. :class:`EntryExists` or :class:`SubmissionExists` if
        the id is taken; the link makes the second of two racing submissions fail."""
        taken = existing_entry(content_root, entry.id)
        if taken is not None:
            raise EntryExists(entry.id, f"content/{taken.parent.name}/{taken.name}")
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
        return self._read(path)

    def _read(self, path: Path) -> Submission:
        try:
            raw = _read_record(path)
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
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        raw = _read_record(submission.path)
        raw["decision"] = decision
        path = folder / f"{check_id(submission.id)}.{stamp}.yaml"
        write_new(path, dump_yaml(raw), mode=0o600)
        submission.path.unlink()
        return path


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


def _similar_json(similar: SimilarEntry) -> dict[str, Any]:
    return {"id": similar.id, "type": similar.type, "title": similar.title, "similarity": similar.similarity}


def similar_warning(subject: str, similar: dict[str, Any]) -> str:
    return f"{subject} is very similar to '{similar['id']}' ({similar['title']}): similarity {similar['similarity']:.2f}; check it is not a duplicate"


class LiveContent:
    """The content as it is now, for a long-running server: re-read when a file changed
    (a curator approved an entry since start-up); the last valid version if it no longer
    validates, so a half-edited file cannot stop submissions."""

    def __init__(self, kb: KnowledgeBase):
        from kb.search.index import content_signature

        self.root = kb.root
        self._signature = content_signature(kb.root)
        self._content = kb.content
        self._lock = threading.Lock()

    def get(self) -> Content:
        from kb.content import load_content
        from kb.search.index import content_signature

        with self._lock:
            signature = content_signature(self.root)
            if signature != self._signature:
                content, problems = load_content(self.root)
                if not problems:
                    self._content = content
                self._signature = signature
            return self._content


@dataclass
class Received:
    submission: Submission
    similar: list[SimilarEntry]
    notes: list[str]


def receive(kb: KnowledgeBase, store: SubmissionStore, content: Content, body: bytes, media: str, submitted_by: str, encoder: Any = None) -> Received:
    """Check a submitted entry and store it as pending.

    :class:`EntryInvalid` lists every problem; :class:`EntryExists` /
    :class:`SubmissionExists` when the id is taken (checked before the costly similarity
    search, and again, race-free, when the file is linked into place)."""
    entry, problems = parse_body(body, media, content)
    if problems or entry is None:
        raise EntryInvalid(problems)
    taken = existing_entry(kb.root, entry.id)
    if taken is not None:
        raise EntryExists(entry.id, f"content/{taken.parent.name}/{taken.name}")
    if (store.pending_dir / f"{entry.id}.yaml").exists():
        raise SubmissionExists(entry.id)
    similar, notes = look_for_similar(kb, entry, encoder, content)
    return Received(store.add(entry, submitted_by, similar, kb.root), similar, notes)


class RateLimiter:
    """At most ``limit`` requests per token in any ``window`` seconds (a sliding window).

    With ``state_dir`` the counts live in one small locked file per token, so the worker
    processes of `kb serve --workers N` share one limit; without it, in memory (tests).
    A damaged count file counts as empty: a rate limit may fail open, a submission not."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.time, state_dir: Path | None = None):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.state_dir = state_dir
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, who: str) -> float | None:
        """Record a request by ``who``; None if allowed, else seconds until it would be."""
        with self._lock:
            if self.state_dir is None:
                return self._admit(self._seen.setdefault(who, []))
            return self._check_file(who)

    def _admit(self, seen: list[float]) -> float | None:
        now = self.clock()
        seen[:] = [t for t in seen if t > now - self.window]
        if len(seen) >= self.limit:
            return max(0.0, seen[0] + self.window - now)
        seen.append(now)
        return None

    def _check_file(self, who: str) -> float | None:
        import fcntl
        import hashlib

        assert self.state_dir is not None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / f"{hashlib.sha256(who.encode()).hexdigest()[:32]}.json"
        with open(path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                seen = self._read_counts(handle.read(documents.STATE_LIMITS.max_bytes + 1))
                wait = self._admit(seen)
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(seen))
                return wait
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


    def _read_counts(self, text: str) -> list[float]:
        """The request times in a count file. A damaged file fails closed: it counts as
        full for one window (then it is written afresh), so damage never lifts the limit."""
        try:
            seen = documents.parse_json(text or "[]")
            return [float(t) for t in seen]
        except (documents.DocumentError, ValueError, TypeError):
            return [self.clock()] * self.limit


def rate_limit_from_env() -> int:
    raw = os.environ.get(RATE_LIMIT_ENV)
    if raw is None or raw == "":
        return DEFAULT_RATE_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if limit < 1:
        raise KbError(f"{RATE_LIMIT_ENV} must be a whole number of submissions per token per minute (1 or more), got '{raw}'")
    return limit


# --- review ----------------------------------------------------------------------------


@dataclass
class Review:
    """What a curator sees before deciding."""

    submission: Submission
    text: str  # the entry as it would be written
    same_title: Path | None  # an entry already in the content with the same title
    diff: str  # unified diff from that entry's file to this submission ('' if none)


def _same(title: str) -> str:
    return " ".join(title.lower().split())


def review(kb: KnowledgeBase, store: SubmissionStore, entry_id: str) -> Review:
    submission = store.get(entry_id)
    text = render_entry_data(submission.entry)
    for entry in kb.content.entries.values():
        if _same(entry.title) == _same(submission.title):
            path = kb.content.files[entry.id]
            before = path.read_text(encoding="utf-8").splitlines(keepends=True)
            diff = difflib.unified_diff(before, text.splitlines(keepends=True), fromfile=f"content/{path.parent.name}/{path.name}", tofile=f"submission/{submission.id}.yaml")
            return Review(submission, text, path, "".join(diff))
    return Review(submission, text, None, "")


@dataclass
class Approved:
    entry: EntryBase
    path: Path
    record: Path


def approve(kb: KnowledgeBase, store: SubmissionStore, entry_id: str, reviewer: str) -> Approved:
    """Publish a pending submission: checked again against today's content, written into
    ``content/`` (never over an entry), then recorded under ``approved/``.

    The caller refreshes the index (it may need the embedding model)."""
    if not reviewer.strip():
        raise KbError("say who is approving it: --reviewer NAME")
    submission = store.get(entry_id)
    decided = today()
    data = {**submission.entry, "status": "published", "reviewed_by": reviewer.strip(), "added": decided, "updated": decided}
    entry, problems = check_entry(data, kb.content, str(submission.path))
    if problems or entry is None:
        raise EntryInvalid(problems)
    path = write_entry(kb, entry)
    record = store.archive(submission, store.approved_dir, {"outcome": "approved", "by": reviewer.strip(), "at": now_iso(), "path": f"content/{path.parent.name}/{path.name}"})
    return Approved(entry, path, record)


def reject(store: SubmissionStore, entry_id: str, reason: str, reviewer: str) -> Path:
    """Turn a submission down; it is kept under ``rejected/`` with the reason."""
    if not reason.strip():
        raise KbError("give the contributor a reason: --reason TEXT")
    submission = store.get(entry_id)
    return store.archive(submission, store.rejected_dir, {"outcome": "rejected", "by": reviewer, "at": now_iso(), "reason": reason.strip()})


# --- kb submit -------------------------------------------------------------------------


def submissions_url(api: str) -> str:
    """Accept the server's address, its /api, or the endpoint itself."""
    base = api.rstrip("/")
    if base.endswith("/api/submissions"):
        return base
    return base + ("/submissions" if base.endswith("/api") else "/api/submissions")


def submit_file(path: Path, api: str, token: str, timeout: float = 60.0, transport: Any = None) -> dict[str, Any]:
    """Send an entry file to a kb server; the receipt on success.

    Every failure becomes a :class:`SubmitFailed` that says what to do, or
    :class:`EntryInvalid` with the server's located problems (shown against ``path``)."""
    import httpx

    if not token:
        raise SubmitFailed("no token: pass --token TOKEN or set KB_TOKEN (a curator creates one with `kb token create`)")
    kind = "application/json" if path.suffix.lower() == ".json" else "application/yaml"
    try:  # checked here first: a file the server would refuse is not sent at all
        text = documents.read_text(path)
        documents.load_any(text, json_first=kind == "application/json")
    except OSError as exc:
        raise SubmitFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    except documents.DocumentError as exc:
        raise EntryInvalid([Problem(str(path), exc.position.line, exc.position.column, exc.message)]) from None
    body = text.encode("utf-8")
    url = submissions_url(api)
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(url, content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": kind})
    except httpx.InvalidURL as exc:
        raise SubmitFailed(f"'{api}' is not a server address ({exc}); give one like http://127.0.0.1:8000") from None
    except httpx.TransportError as exc:
        raise SubmitFailed(f"could not reach the kb server at {url}: {exc or type(exc).__name__}; is it running, and is --api right?") from None
    return _outcome(response, path)


def _detail(response: Any) -> Any:
    try:
        return response.json().get("detail")
    except (ValueError, AttributeError):
        return response.text[:300]


def _outcome(response: Any, path: Path) -> dict[str, Any]:
    status = response.status_code
    if status == 201:
        return response.json()
    detail = _detail(response)
    if status == 422 and isinstance(detail, list):
        shown = str(path)
        problems = [Problem(shown, int(d.get("line", 1)), int(d.get("column", 1)), str(d.get("msg", "")), ".".join(str(p) for p in d.get("loc", [])[1:])) for d in detail]
        raise EntryInvalid(problems)
    messages = {
        401: "the server refused the token (unknown or revoked): ask a curator for a new one (`kb token create`)",
        409: f"not sent: {detail}",
        413: f"{path} is too large: the server accepts entries up to {MAX_BODY_BYTES // 1024} KB",
        415: f"the server does not accept this kind of file: send YAML (.yaml) or JSON (.json) ({detail})",
        429: f"too many submissions with this token just now: wait {response.headers.get('retry-after', 'a minute')} s and try again",
    }
    raise SubmitFailed(messages.get(status, f"the server answered HTTP {status}: {detail}"))

