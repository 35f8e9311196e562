"""An entry's page as the site will show it, for the preview on the contribute and
review pages: the site builder's own Markdown for the entry (:meth:`SiteBuilder.entry`),
rendered with the site's Markdown extensions and glossary abbreviations. Links become
paths from the site's root, since the preview is shown on another page than the entry's.
"""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Any

import yaml

from kb.core import KnowledgeBase
from kb.models import EntryBase
from kb.site.abbreviations import Abbreviations
from kb.site.builder import CONFIG_FILE, SiteBuilder
from kb.site.markup import entry_page

_HREF = re.compile(r'href="(?![a-z][a-z0-9+.-]*:|#|/)([^"#]*)(#[^"]*)?"', re.I)


@functools.cache
def _extensions() -> tuple[list[str], dict[str, Any]]:
    """The site's Markdown extensions and their settings, from mkdocs.yml (one list)."""
    names: list[str] = []
    settings: dict[str, Any] = {}
    for item in yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8"))["markdown_extensions"]:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        names.append(name)
        if options:
            settings[name] = options
    return names, settings


def render(kb: KnowledgeBase, entry: EntryBase) -> str:
    """The HTML of ``entry``'s page body, as the site would build it from ``kb``'s content."""
    import markdown
    from mkdocs.utils.meta import get_data

    page = entry_page(entry.type, entry.id)
    text, _ = get_data(SiteBuilder(kb, similar=False).preview(entry))
    names, settings = _extensions()
    body = markdown.Markdown(extensions=names, extension_configs=settings).convert(text)
    return Abbreviations(kb.content.glossary).apply(_site_paths(body, page))


def _site_paths(body: str, page: str) -> str:
    """Relative ``.md`` links (as the builder writes them) as paths from the site's root,
    the way mkdocs writes them with directory URLs."""
    folder = posixpath.dirname(page)

    def absolute(found: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(folder, found.group(1)))
        if target.endswith(".md"):
            target = target.removesuffix(".md").removesuffix("index").rstrip("/")
            target = f"{target}/" if target else ""
        return f'href="/{target}{found.group(2) or ""}"'

    return _HREF.sub(absolute, body)
