"""What a submission's body may be: how large, in which media types, and how it is read.

The server refuses anything else before reading it; ``kb submit`` says so before sending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def parse_body(body: bytes, media: str, content: Content, shown: str = "submission") -> tuple[EntryBase | None, list[Problem]]:
    """A submitted entry (JSON or YAML bytes), checked exactly as `kb validate` checks a file."""
    try:
        located = documents.load_any(documents.decode(body), json_first=media in JSON_TYPES)
    except documents.DocumentError as exc:
        return None, [Problem(shown, exc.position.line, exc.position.column, exc.message)]
    return check_entry(located.data, content, shown, located)
