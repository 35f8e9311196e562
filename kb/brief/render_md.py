"""A brief as Markdown (CommonMark with GitHub tables): for standard output, and for
pasting into anything that reads Markdown. Every value from the content is escaped, so
its text can never become a link, emphasis or HTML."""

from __future__ import annotations

import re

from kb.brief import wording
from kb.brief.model import Brief, CaseStudyItem, Item, Section

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md(text: object) -> str:
    """Content text on one line, Markdown's active characters escaped."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return "\\" + escaped if escaped[:1] in ("#", "+", "-", "=") else escaped


def link(label: str, url: str) -> str:
    return f"[{md(label)}]({url})"  # urls are checked http(s) addresses without spaces or brackets


def render(brief: Brief) -> str:
    out = [f"# {md(wording.heading(brief))}", ""]
    out += [f"**{label}:** {md(value)}  " for label, value in wording.facts(brief)]
    if brief.nothing_close:
        return "\n".join(out + ["", f"> {wording.NOTHING_CLOSE}", ""])
    out += ["", wording.INTRO, ""]
    out += [f"## {wording.CASE_STUDIES}", ""]
    if not brief.case_studies:
        out += [wording.no_items(brief), ""]
    for number, case in enumerate(brief.case_studies, start=1):
        out += case_study(number, case)
    for section in brief.sections:
        out += lessons(section)
    out += sources(brief)
    return "\n".join(out)


def item_head(reason_line: str, citation_line: str, url: str) -> list[str]:
    return [f"*Why chosen:* {md(reason_line)}  ", f"*Source:* {md(citation_line)}  ", f"*Page:* <{url}>", ""]


def case_study(number: int, case: CaseStudyItem) -> list[str]:
    out = [f"### {number}. {md(case.title)}", "", f"**{md(wording.where(case.organisation, case.place))}**", ""]
    out += item_head(wording.why(case.reason), wording.cited(case.citations, case.more_places), case.url)
    out += [md(case.summary), "", f"**Approach in brief.** {md(case.approach)}", ""]
    if case.outcomes:
        out += ["**Outcomes by Quadruple Aim**", ""] + [f"- **{md(o.aim)}:** {md(o.text)}" for o in case.outcomes] + [""]
    out += [f"**Measured results.** {md(wording.evidence_line(case.evidence.label, case.evidence.explanation))}", ""]
    if case.results:
        columns, rows = wording.results_table(case)
        out += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        out += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows] + [""]
    if case.caveats:
        out += ["**Caveats**", ""]
        out += [f"- {md(c.text)}" + (f" ({md(c.citation.text())})" if c.citation else "") for c in case.caveats] + [""]
    return out


def lessons(section: Section) -> list[str]:
    out = [f"## {md(section.heading)}", ""]
    if not section.items:
        return out + [wording.NONE_IN_SECTION, ""]
    for item in section.items:
        out += lesson(item)
    return out


def lesson(item: Item) -> list[str]:
    out = [f"### {md(item.title)}", "", md(item.summary), ""]
    if item.question:
        out += [f"**Question:** {md(item.question)}", ""]
    if item.mitigations:
        out += ["**What helps:**", ""] + [f"- {md(m)}" for m in item.mitigations] + [""]
    return out + item_head(wording.why(item.reason), wording.cited(item.citations, item.more_places), item.url)


def sources(brief: Brief) -> list[str]:
    out = [f"## {wording.SOURCES}", ""]
    for source in brief.sources:
        where = f" <{source.url}>" if source.url else ""
        out.append(f"{source.number}. *{md(source.title)}*. {md(source.publisher)}, {md(source.date)}.{where}  ")
        out.append(f"   Cited: {md('; '.join(source.places))}")
        if source.caveats:
            out += ["", "   The report's own cautions:", ""]
            out += [f"   - {md(c.text)}" + (f" ({md(c.citation.where)})" if c.citation and c.citation.where else "") for c in source.caveats]
        out.append("")
    out += [f"### {wording.PAGES}", ""] + [f"- {link(page.title, page.url)}" for page in brief.pages] + [""]
    return out
