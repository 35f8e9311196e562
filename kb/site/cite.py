""" "Cite this": a formatted citation of an entry, and of each source page it draws on.

One style for both (author or organisation, date, title, where, address, accessed), so a
reader can paste either into a paper or a board report.
"""

from __future__ import annotations

from kb.models import EntryBase, SourceDocument, SourceRef
from kb.site.markup import h

SITE_TITLE = "kb — lessons for redesigning health and care teams"


def citation(entry: EntryBase, url: str | None) -> str:
    """The entry as HTML text. Without ``url`` (no ``site_url`` configured) the address is
    left for the page's script to fill in from the address the reader is at."""
    who = getattr(entry, "organisation", None) or entry.contributor
    changed = entry.updated or entry.added
    dates = f"added {entry.added.isoformat()}" + (f", updated {entry.updated.isoformat()}" if entry.updated else "")
    address = f'<span class="kb-cite-url">{h(url)}</span>' if url else '<span class="kb-cite-url"></span>'
    return (
        f"{h(who)} ({changed.year}). <cite>{h(entry.title)}</cite>. "
        f"In: <em>{h(SITE_TITLE)}</em>. Contributed by {h(entry.contributor)}; {h(dates)}. "
        f"Available at: {address}"
    )


def source_citation(document: SourceDocument | None, refs: list[SourceRef]) -> str:
    """A source report with the pages or sections the entry draws on, as HTML text, e.g.
    'NHS England (2017). <cite>…</cite>. Version 1.0. p11; p14.'"""
    where = "; ".join(ref.label() for ref in refs)
    if document is None:
        return h(f"{refs[0].document}, {where}.")
    year = document.date[:4]
    version = f" Version {document.version}." if document.version else ""
    url = f" Available at: {h(document.url)}" if document.url else ""
    return f"{h(document.publisher)} ({year}). <cite>{h(document.title)}</cite>.{h(version)} {h(where)}.{url}"
