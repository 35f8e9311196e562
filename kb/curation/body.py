"""What a submission's body may be: how large, in which media types, and how it is read.

The server refuses anything else before reading it; ``kb submit`` says so before sending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb import documents
from kb.curation.checks import check_entry
from kb.errors import Problem

if TYPE_CHECKING:
    from kb.content import Content
    from kb.models import EntryBase

MAX_BODY_BYTES = documents.LIMITS.max_bytes  # one limit for a body and a file
JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


def media_type(content_type: str | None) -> str:
    """``application/json`` from ``Application/JSON; charset=utf-8`` (and '' from nothing)."""
    return (content_type or "").split(";")[0].strip().lower()


SERVER_DATES = ("added", "updated")
STATUS_REFUSED = "field 'status': set by the reviewer when the entry is published; leave it out"


@dataclass
class ServerFields:
    """What the server sets on a submission, whatever was sent: ``added`` and ``updated``
    (the day it is received), ``status`` (draft until a curator approves it) and
    ``contributor`` (the token's name, when the entry names nobody).

    A ``status`` other than ``draft`` is refused (a sender cannot publish); an ``added``
    or ``updated`` sent is checked like any value, then replaced, and :attr:`notes` says so."""

    submitted_by: str
    today: dt.date = field(default_factory=dt.date.today)
    notes: list[str] = field(default_factory=list)

    def fill(self, data: Any, located: documents.Located | None, shown: str = "submission") -> list[Problem]:
        """Fill ``data`` (a submitted entry, changed in place); the problems with what was sent."""
        if not isinstance(data, dict):
            return []  # curation says what is wrong with it
        problems: list[Problem] = []
        if "status" in data and data["status"] != "draft":
            pos = located.position(("status",)) if located else documents.Position(1, 1)
            problems.append(Problem(shown, pos.line, pos.column, STATUS_REFUSED, "status"))
        data["status"] = "draft"
        self.notes = [f"field '{name}': set by the server to {self.today.isoformat()}; the value sent was ignored" for name in SERVER_DATES if name in data]
        for name in SERVER_DATES:  # a value sent is still checked (no 0 for a date), then replaced by set_dates
            data.setdefault(name, self.today.isoformat())
        data.setdefault("contributor", self.submitted_by)
        return problems

    def set_dates(self, entry: EntryBase) -> EntryBase:
        return entry.model_copy(update=dict.fromkeys(SERVER_DATES, self.today))


def parse_body(
    body: bytes, media: str, content: Content, shown: str = "submission", server: ServerFields | None = None
) -> tuple[EntryBase | None, list[Problem]]:
    """A submitted entry (JSON or YAML bytes), checked exactly as `kb validate` checks a
    file; with ``server``, once the server's fields are filled in (:class:`ServerFields`)."""
    try:
        located = documents.load_any(documents.decode(body), json_first=media in JSON_TYPES)
    except documents.DocumentError as exc:
        return None, [Problem(shown, exc.position.line, exc.position.column, exc.message)]
    refused = server.fill(located.data, located, shown) if server is not None else []
    entry, problems = check_entry(located.data, content, shown, located)
    if refused:
        return None, sorted(refused + problems)
    return (server.set_dates(entry) if server is not None and entry is not None else entry), problems
