"""Markup helpers for the generated pages: escaping, relative links, front matter.

Every text that comes from the content goes through :func:`md` (for Markdown) or
:func:`h` (for HTML blocks), so ``<script>`` or Markdown tricks render as text.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable

import yaml

from kb.entry_types import URL_SEGMENTS

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


# --- escaping ----------------------------------------------------------------------------


def h(text: object) -> str:
    """Text for an HTML block: entities escaped, nothing interpreted."""
    return html.escape(str(text), quote=True)


def md(text: object) -> str:
    """Text for Markdown: HTML escaped, Markdown syntax backslash-escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


# --- paths: every page knows its own path so links can be relative .md links -----------


def entry_page(entry_type: str, entry_id: str) -> str:
    return f"{URL_SEGMENTS[entry_type]}/{entry_id}.md"


def link(from_page: str, to_page: str, label: str) -> str:
    """A relative Markdown link; MkDocs checks it (strict) and rewrites it per URL style."""
    rel = os.path.relpath(to_page, os.path.dirname(from_page) or ".")
    return f"[{md(label)}]({rel})"


def front_matter(title: str, tags: Iterable[str] = (), description: str | None = None, hide: Iterable[str] = ()) -> str:
    meta: dict[str, object] = {"title": h(title)}
    hidden = list(hide)
    if tags:
        meta["tags"] = sorted({h(t) for t in tags})  # for the Tags page
        hidden.append("tags")  # not as chips above the title: pages list them after the summary
    if hidden:
        meta["hide"] = hidden
    if description:
        meta["description"] = h(" ".join(description.split())[:300])
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n"


def paragraph(text: str | None) -> str:
    return f'<p class="kb-text">{h(text)}</p>\n\n' if text else ""
