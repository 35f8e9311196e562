"""A submitted value is of the JSON type the OpenAPI document declares.

The entry models convert what they can (0 to a date, "5" to a number, 1 to true), as
they should for YAML written by hand; a request is refused instead, since a sender who
means a date writes one, and since otherwise the spec would promise less than is taken.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from pydantic import ValidationError

from kb import documents
from kb.content import Content, pydantic_problems, reference_problems
from kb.curation.body import JSON_TYPES, ServerFields
from kb.errors import Problem
from kb.models import ENTRY_MODELS, EntryBase


@dataclass(frozen=True)
class Parsed:
    model: type[EntryBase]
    json: str
    located: documents.Located
    refused: list[Problem]  # values sent for what the server sets


def wrong_types(body: bytes, media: str, content: Content, submitted_by: str) -> list[Problem]:
    """Values of another JSON type than the spec declares and, with them, the entry's
    other problems (as curation would list them). Empty when there are none. When the
    entry is wrong in other ways too (an unfinished draft), only the wrong types: curation
    says what else, and where. Checked once what the server sets is filled in, as
    curation fills it."""
    parsed = parse(body, media, ServerFields(submitted_by))
    if parsed is None:
        return []
    try:
        parsed.model.model_validate_json(parsed.json, strict=True)
        return []
    except ValidationError as strict:
        try:
            entry = parsed.model.model_validate_json(parsed.json)
        except ValidationError as lax:
            # Wrong either way (an unfinished draft, say): curation lists what lax finds;
            # the wrong types are what strict finds besides ("updated": 0 is no date).
            known = set(pydantic_problems(lax, parsed.model, "submission", parsed.located))
            return [p for p in pydantic_problems(strict, parsed.model, "submission", parsed.located) if p not in known]
        found = pydantic_problems(strict, parsed.model, "submission", parsed.located) + reference_problems(entry, content, "submission", parsed.located)
        return parsed.refused + found


def parse(body: bytes, media: str, server: ServerFields) -> Parsed | None:
    """The body as JSON text with its entry model, or None if it is not one entry of a
    known type."""
    try:
        located = documents.load_any(documents.decode(body), json_first=media in JSON_TYPES)
    except documents.DocumentError:
        return None
    kind = located.data.get("type") if isinstance(located.data, dict) else None
    if not isinstance(kind, str) or kind not in ENTRY_MODELS:
        return None
    refused = server.fill(located.data, located)
    try:
        text = json.dumps(located.data, default=_as_json)  # YAML's dates as JSON writes them
    except (TypeError, ValueError):  # e.g. a date as a key: no entry has one, curation says so
        return None
    return Parsed(ENTRY_MODELS[kind], text, located, refused)


def _as_json(value: object) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
