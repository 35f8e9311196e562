"""Briefs the tests of kb/brief share: one assembled from the mini content's real index,
and one built by hand whose every text is hostile (markup of each format)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kb.brief.model import (
    Brief,
    CaseStudyItem,
    CaveatNote,
    Citation,
    ContentVersion,
    Evidence,
    Item,
    Outcome,
    Page,
    Reason,
    ResultRow,
    Section,
    Source,
)
from kb.core import KnowledgeBase

DAY = dt.date(2026, 1, 5)
# Close to a case study, the enabler and the barrier of the mini content (measured).
MINI_CHALLENGE = "dementia training in care homes and frailty workforce planning; shared learning; money flows between organisations"
OFF_TOPIC = "how to bake sourdough bread"


@pytest.fixture
def mini_kb(built_mini: tuple[Path, Path]) -> KnowledgeBase:
    content, data = built_mini
    return KnowledgeBase(content, data, record_gaps=False)  # shared by the session: counts nothing


@pytest.fixture
def mini_brief(mini_kb: KnowledgeBase) -> Brief:
    return mini_kb.brief(MINI_CHALLENGE, on=DAY)


HOSTILE = '<script>alert(1)</script> *bold* | pipe [link](http://evil.example) # & "quotes"'


@pytest.fixture
def hostile_brief() -> Brief:
    """Every text holds HTML, Markdown and table syntax: renderers must show it as text."""
    cite = Citation("doc-a", HOSTILE, HOSTILE)
    reason = Reason(HOSTILE, "approach", HOSTILE, ["script"])
    case = CaseStudyItem(
        id="evil",
        title=HOSTILE,
        organisation=HOSTILE,
        place=None,
        url="https://kb.example.org/case-studies/evil/",
        summary=HOSTILE,
        approach=HOSTILE,
        outcomes=[Outcome("Cost", HOSTILE)],
        results=[ResultRow(HOSTILE, "12%", HOSTILE, HOSTILE, "measured", "Cost", cite)],
        evidence=Evidence("measured", "Measured results", "At least one outcome was measured."),
        caveats=[CaveatNote(HOSTILE, cite)],
        reason=reason,
        citations=[cite],
        more_places=0,
        score=1.0,
        similarity=0.9,
    )
    item = Item("tip", "top-tip", HOSTILE, "https://kb.example.org/top-tips/tip/", HOSTILE, reason, [cite], 2, 0.5, 0.5, HOSTILE, [HOSTILE])
    return Brief(
        challenge=HOSTILE,
        date=DAY.isoformat(),
        content_version=ContentVersion("abc123", "2026-01-04", 2),
        filters={"theme": HOSTILE},
        base_url="https://kb.example.org/",
        case_studies=[case],
        sections=[Section("top-tip", "Top tips", [item])],
        sources=[Source(1, "doc-a", HOSTILE, HOSTILE, "2017", "https://example.org/report.pdf", [HOSTILE], [CaveatNote(HOSTILE, cite)])],
        pages=[Page(HOSTILE, case.url), Page(HOSTILE, item.url)],
        nothing_close=False,
    )
