"""The brief's own words: headings, labels and notes, the same in every format.

Only these fixed phrases are kb's; everything else a brief says is quoted from the
content. Renderers take their wording from here so that the Markdown, HTML and Word
versions of a brief read alike.
"""

from __future__ import annotations

import datetime as dt

from kb.brief.model import Brief, CaseStudyItem, Citation, Reason

TITLE = "Evidence brief"
INTRO = (
    "Every sentence below is quoted from the knowledge base, which cites its source reports. "
    "Each item says why it was chosen (the passage that matched the challenge) and where it is written."
)
CASE_STUDIES = "Case studies"
SOURCES = "Sources"
PAGES = "Pages on the learning site"
NOTHING_CLOSE = (
    "Nothing in the knowledge base is close to this challenge, so this brief lists no case studies, "
    "tips, enablers, barriers or dilemmas rather than ones that do not fit. "
    "Try describing the challenge in other words, or with fewer filters."
)
NONE_IN_SECTION = "Nothing in the knowledge base is close enough to this challenge to list here."
NO_CASE_STUDY = "No case study is close enough to this challenge to list here."
NO_CASE_STUDY_FILTERED = "No case study that matches the filters is close enough to this challenge to list here."
RESULT_COLUMNS = ["Measure", "Figure", "As reported", "Period", "Basis", "Source"]
BASIS = {"measured": "Measured", "survey": "Survey", "estimate": "Estimate", "description": "Description"}
FILTER_NAMES = {"theme": "theme", "enabler": "enabler", "barrier": "barrier", "kind": "kind of organisation"}


def long_date(iso: str) -> str:
    """'2026-11-29' -> '29 November 2026'."""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def heading(brief: Brief) -> str:
    return f"{TITLE}: {brief.challenge}"


def facts(brief: Brief) -> list[tuple[str, str]]:
    """The lines under the title: the challenge as given, the date, the content version,
    the filters."""
    version = brief.content_version
    lines = [
        ("Challenge", brief.challenge),
        ("Date", long_date(brief.date)),
        ("Drawn from", f"kb content as of {long_date(version.updated)} ({version.entries} entries; version {version.fingerprint})"),
    ]
    if brief.filters:
        lines.append(("Case studies filtered by", "; ".join(f"{FILTER_NAMES.get(k, k)} {v}" for k, v in brief.filters.items())))
    return lines


def why(reason: Reason) -> str:
    """A one-line reason an item was chosen."""
    if reason.part == "summary":
        shared = f" (it shares: {', '.join(reason.terms)})" if reason.terms else ""
        return f"its summary matches the challenge{shared}."
    return f"from its {reason.part}: “{reason.sentence}”"


def cited(citations: list[Citation], more_places: int = 0) -> str:
    more = f"; and {more_places} more {'place' if more_places == 1 else 'places'} listed on its page" if more_places else ""
    return "; ".join(c.text() for c in citations) + more


def no_items(brief: Brief) -> str:
    return NO_CASE_STUDY_FILTERED if brief.filters else NO_CASE_STUDY


def results_table(case: CaseStudyItem) -> tuple[list[str], list[list[str]]]:
    """A case study's results as a table: the column names and the rows' cells. The
    Period column is left out when the source gives no period for any figure."""
    rows = [[r.measure, r.figure, r.as_reported, r.period or "", BASIS[r.basis], r.citation.text()] for r in case.results]
    keep = [n for n, name in enumerate(RESULT_COLUMNS) if name != "Period" or any(row[n] for row in rows)]
    return [RESULT_COLUMNS[n] for n in keep], [[row[n] for n in keep] for row in rows]


def where(organisation: str, place: str | None) -> str:
    return f"{organisation}, {place}" if place and place not in organisation else organisation


def evidence_line(label: str, explanation: str) -> str:
    return f"Evidence: {label}. {explanation}"
