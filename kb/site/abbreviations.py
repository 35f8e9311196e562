"""Every abbreviation explained where it appears: ``<abbr title="expansion">`` around each
glossary term that has an expansion, in the HTML of every page.

Done on the rendered HTML (the plugin's ``on_page_content``) rather than with Markdown's
``abbr`` extension, because most of an entry's text sits in HTML blocks that Markdown
extensions never see. Only text between tags is touched; nothing inside a link's
attributes, code, scripts, headings' permalinks or an existing ``<abbr>`` changes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from kb.models import GlossaryTerm

_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
# Text inside these is code, machine-read or already explained: left alone.
SKIP = {"abbr", "code", "pre", "script", "style", "kbd", "samp", "textarea", "title", "svg", "option"}


class Abbreviations:
    """The glossary's abbreviations, compiled once per build."""

    def __init__(self, terms: Iterable[GlossaryTerm]):
        # Keyed as the term appears in HTML text ("A&amp;E"), since that is what is searched.
        self.expansions: dict[str, str] = {html.escape(t.term, quote=False): t.expansion for t in terms if t.expansion}
        longest_first = sorted(self.expansions, key=len, reverse=True)
        # One pass over the page: each match is a tag (tracked, kept) or a term. A plural "s"
        # still names the term (AHPs); word edges keep "MDTs" but not "AMDT" or "AHP-led".
        alternatives = "|".join(map(re.escape, longest_first))
        self.pattern = re.compile(rf"(?P<tag><!--.*?-->|<[^>]*>)|(?<![\w-])(?P<term>{alternatives})(?P<plural>s?)(?![\w-])", re.S) if longest_first else None

    def apply(self, page_html: str) -> str:
        if self.pattern is None:
            return page_html
        skipping: list[str] = []

        def replace(found: re.Match[str]) -> str:
            if found.group("tag"):
                self._track(found.group("tag"), skipping)
                return found.group(0)
            if skipping:
                return found.group(0)
            term = found.group("term")
            return f'<abbr title="{html.escape(self.expansions[term], quote=True)}">{term}{found.group("plural")}</abbr>'

        return self.pattern.sub(replace, page_html)

    @staticmethod
    def _track(tag: str, skipping: list[str]) -> None:
        """Keep the stack of open elements whose text is left alone."""
        name = _TAG_NAME.match(tag)
        if not name or tag.startswith("<!--"):
            return
        element = name.group(1).lower()
        if element not in SKIP or tag.rstrip().endswith("/>"):
            return
        if tag.startswith("</"):
            if element in skipping:
                del skipping[len(skipping) - 1 - skipping[::-1].index(element) :]
        else:
            skipping.append(element)
