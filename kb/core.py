"""The one object that owns the knowledge: content, index and search.

The CLI, the API and the site hook each make a :class:`KnowledgeBase` and call its
methods, so a result is computed one way whichever door it leaves by.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kb.content import Content, ContentInvalid, Problem, did_you_mean, find_content_dir, load_content
from kb.models import ENTRY_MODELS, EntryBase, entry_url


class UnknownEntry(LookupError):
    """No entry has this id."""

    def __init__(self, entry_id: str, choices: list[str]):
        self.entry_id = entry_id
        super().__init__(f"no entry with id '{entry_id}'{did_you_mean(entry_id, choices)}")


class UnknownValue(ValueError):
    """A type or filter value that the content does not have."""

    def __init__(self, field: str, value: str, choices: list[str]):
        self.field = field
        self.value = value
        hint = did_you_mean(value, choices)
        listed = ", ".join(choices[:12]) + (" …" if len(choices) > 12 else "")
        super().__init__(f"unknown {field} '{value}'{hint}; expected one of: {listed}")


ENTRY_TYPES = list(ENTRY_MODELS)


def check_type(entry_type: str | None, *, allow_all: bool = True) -> str | None:
    if entry_type is None or (allow_all and entry_type == "all") or entry_type in ENTRY_TYPES:
        return entry_type
    raise UnknownValue("type", entry_type, ENTRY_TYPES + (["all"] if allow_all else []))


def summary_json(entry: EntryBase) -> dict[str, Any]:
    """The short, stable JSON form used by `kb list --json` and the API's listings."""
    item: dict[str, Any] = {"id": entry.id, "type": entry.type, "title": entry.title}
    organisation = getattr(entry, "organisation", None)
    if isinstance(organisation, str):
        item["organisation"] = organisation
    item["summary"] = entry.summary
    item["url"] = entry_url(entry.type, entry.id)
    return item


class KnowledgeBase:
    """Validated content plus, on demand, its search index."""

    def __init__(self, content: Content, data_dir: Path | None = None):
        self.content = content
        self.data_dir = data_dir or default_data_dir(content.root)
        self._searcher = None

    @classmethod
    def open(cls, content_dir: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None) -> "KnowledgeBase":
        """Load and validate the content; raise :class:`ContentInvalid` if it has problems."""
        root = find_content_dir(content_dir)
        content, problems = load_content(root)
        if problems:
            raise ContentInvalid(problems)
        data = Path(data_dir or os.environ.get("KB_DATA") or default_data_dir(root)).resolve()
        return cls(content, data)

    @staticmethod
    def validate(content_dir: str | os.PathLike[str] | None = None) -> list[Problem]:
        return load_content(find_content_dir(content_dir))[1]

    # --- reading entries -------------------------------------------------------------

    def entries(self, entry_type: str | None = None, **filters: str | None) -> list[EntryBase]:
        """Published entries, optionally of one type and matching taxonomy filters."""
        check_type(entry_type)
        chosen = [e for e in self.content.published() if entry_type in (None, "all", e.type)]
        for field, value in filters.items():
            if value is None:
                continue
            self.check_filter(field, value)
            chosen = [e for e in chosen if self.matches(e, field, value)]
        return sorted(chosen, key=lambda e: (ENTRY_TYPES.index(e.type), e.title.lower()))

    def get(self, entry_id: str) -> EntryBase:
        entry = self.content.entries.get(entry_id)
        if entry is None or entry.status == "draft":
            raise UnknownEntry(entry_id, list(self.content.entries))
        return entry

    def filter_choices(self, field: str) -> list[str]:
        if field == "kind":
            return sorted({e.organisation_kind for e in self.content.case_studies()} | set(_KINDS))
        if field == "theme":
            return [t.id for t in self.content.taxonomy.themes]
        target = {"enabler": "enabler", "barrier": "barrier"}[field]
        return sorted(e.id for e in self.content.published() if e.type == target)

    def matches(self, entry: EntryBase, field: str, value: str) -> bool:
        """Does ``entry`` carry taxonomy ``value`` under filter ``field``?

        Enablers and barriers link both ways (a case study lists its enablers; an enabler
        lists its case studies), so either side counts.
        """
        if field == "theme":
            return value in entry.themes
        if field == "kind":
            return getattr(entry, "organisation_kind", None) == value
        if entry.id == value or value in (getattr(entry, field + "s", None) or []):
            return True
        linked = self.content.entries.get(value)
        return entry.id in (getattr(linked, "case_studies", None) or [])

    def check_filter(self, field: str, value: str) -> None:
        choices = self.filter_choices(field)
        if value not in choices:
            raise UnknownValue(field, value, choices)


_KINDS = ["vanguard", "integration-pioneer", "primary-care-home", "royal-college-or-faculty", "other"]
FILTER_FIELDS = ("theme", "enabler", "barrier", "kind")


def default_data_dir(content_root: Path) -> Path:
    return content_root.parent / ".kb"
