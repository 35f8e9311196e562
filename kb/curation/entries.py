"""Entries as YAML files: their ids and paths, the text kb writes, and `kb new`'s draft.

Nothing is ever overwritten or half-written: :func:`kb.files.write_new` links a finished
temporary file into place, which fails if the name exists. No path is built from an id
before :func:`check_id` has passed it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kb import documents
from kb.curation.checks import check_entry
from kb.entry_types import FOLDERS, MAX_ID, SLUG
from kb.errors import EntryExists, EntryInvalid, InvalidId, KbError, Problem
from kb.files import write_new

if TYPE_CHECKING:
    from kb.core import KnowledgeBase
    from kb.models import EntryBase


def check_id(entry_id: str) -> str:
    """``entry_id`` if it is a slug; otherwise :class:`InvalidId`. Call before any path."""
    # Not only a str in practice: ids arrive from hand-edited YAML and from the API.
    if not isinstance(entry_id, str) or len(entry_id) > MAX_ID or not SLUG.match(entry_id):
        raise InvalidId(str(entry_id))
    return entry_id


def today() -> dt.date:
    return dt.date.today()


def slugify(text: str) -> str:
    """A suggested id from a title: lowercase words joined by hyphens, at most 80 characters."""
    slug = ""
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if len(slug) + len(word) + 1 > MAX_ID:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug


# --- where entries are -----------------------------------------------------------------


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
    data: dict[str, Any] = entry.model_dump(mode="python", exclude_defaults=True)
    data["status"] = entry.status
    ordered: dict[str, Any] = {key: data.pop(key) for key in ("id", "type", "title") if key in data}
    ordered.update(data)
    return {key: _tidy(value) for key, value in ordered.items()}


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


def prepare_new(kb: KnowledgeBase, entry_type: str, data: dict[str, Any], shown: str | None = None, located: documents.Located | None = None) -> EntryBase:
    """Check a new entry's data; it becomes a draft, added today unless it says otherwise.

    :class:`EntryInvalid` lists every problem; :class:`EntryExists` if the id is taken."""
    from kb.core import check_type

    check_type(entry_type, allow_all=False)
    given = data.get("type", entry_type)
    data = _as_draft(data, given)
    shown = shown or _shown_as(entry_type, data.get("id"))
    if given != entry_type:
        raise EntryInvalid([Problem(shown, 1, 1, f"field 'type': '{given}' given for a new {entry_type}", "type")])
    entry, problems = check_entry(data, kb.content, shown, located)
    if problems or entry is None:
        raise EntryInvalid(problems)
    ensure_free(kb.root, entry.id)
    return entry


def _as_draft(data: dict[str, Any], given_type: Any) -> dict[str, Any]:
    """A proposal until a reviewer publishes it; added today; its id from its title, as
    `kb new` suggests when it asks."""
    draft = {**data, "type": given_type, "status": "draft"}
    draft.setdefault("added", today())
    if "id" not in draft and isinstance(draft.get("title"), str):
        draft["id"] = slugify(draft["title"])
    return draft


def _shown_as(entry_type: str, entry_id: Any) -> str:
    """Where problems are reported: the file it would be, if its id can name one."""
    if isinstance(entry_id, str) and SLUG.match(entry_id):
        return f"content/{FOLDERS[entry_type]}/{entry_id}.yaml"
    return f"new {entry_type}"


def write_entry(kb: KnowledgeBase, entry: EntryBase) -> Path:
    """Write a new entry file; never replaces one (:class:`EntryExists`)."""
    path = entry_file(kb.root, entry)
    try:
        write_new(path, render_entry(entry))
    except FileExistsError:
        raise EntryExists(entry.id, str(path)) from None
    kb.reload()
    return path
