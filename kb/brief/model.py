"""What a brief holds, as plain typed data: every renderer reads these and nothing else.

Every text here is the content's own (a title, a summary, a sentence of the passage that
matched, a figure as the source reports it) or a fixed heading: a brief is extractive.
Lists rather than tuples, so that the JSON form and the API's schema are plain arrays.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    """Where a claim is written: a source document and a page or section in it."""

    document: str  # the document's id in content/sources.yaml
    short_title: str  # "New care models (2017)"
    where: str  # "p17 (Appendix 6, p53)" or a section heading

    def text(self) -> str:
        return f"{self.short_title}, {self.where}"


@dataclass(frozen=True)
class Reason:
    """Why an item was chosen: the sentence of its best-matching passage."""

    sentence: str  # the sentence of the passage holding most of the challenge's words
    part: str  # which part of the entry it is from: "summary", "approach", "outcomes: cost", …
    passage: str  # the whole passage that matched
    terms: list[str] = field(default_factory=list)  # its words that share a stem with the challenge


@dataclass(frozen=True)
class Item:
    """A tip, an enabler, a barrier, an MDT characteristic or a dilemma."""

    id: str
    type: str
    title: str
    url: str
    summary: str
    reason: Reason
    citations: list[Citation]
    more_places: int  # further places its sources give, listed on its page
    score: float  # the search score (hybrid), for ordering and for programs
    similarity: float  # the matched passage's cosine similarity to the challenge
    question: str | None = None  # a dilemma, put as a question
    mitigations: list[str] = field(default_factory=list)  # a barrier: what the sources suggest helps


@dataclass(frozen=True)
class Outcome:
    aim: str  # the Quadruple Aim's label, e.g. "Staff experience"
    text: str


@dataclass(frozen=True)
class ResultRow:
    """One measured result of a case study, exactly as the source gives it."""

    measure: str
    figure: str  # Metric.figure(): qualifier, number or range, unit
    as_reported: str
    period: str | None
    basis: str  # kb.evidence.basis: measured, survey, estimate or description
    aim: str | None
    citation: Citation


@dataclass(frozen=True)
class CaveatNote:
    text: str
    citation: Citation | None


@dataclass(frozen=True)
class Evidence:
    level: str  # kb.evidence.Level
    label: str  # "Measured results", …
    explanation: str


@dataclass(frozen=True)
class CaseStudyItem:
    id: str
    title: str
    organisation: str
    place: str | None
    url: str
    summary: str
    approach: str  # the approach in brief: its first sentences
    outcomes: list[Outcome]
    results: list[ResultRow]
    evidence: Evidence
    caveats: list[CaveatNote]
    reason: Reason
    citations: list[Citation]
    more_places: int
    score: float
    similarity: float


@dataclass(frozen=True)
class Section:
    """A list of items chosen by the index for the challenge; empty when none was close."""

    key: str  # the entry type, e.g. "top-tip"
    heading: str
    items: list[Item]


@dataclass(frozen=True)
class Source:
    """A document cited in the brief, with every page or section cited."""

    number: int
    document: str
    title: str
    publisher: str
    date: str
    url: str | None
    places: list[str]  # every page or section the brief cites, in the order it cites them
    caveats: list[CaveatNote]  # what the document itself says limits its evidence


@dataclass(frozen=True)
class Page:
    """A page of the learning site cited in the brief."""

    title: str
    url: str


@dataclass(frozen=True)
class ContentVersion:
    """Which content a brief was drawn from: a fingerprint of every published entry and
    source, and the date of the latest change, so two briefs can be compared."""

    fingerprint: str
    updated: str
    entries: int


@dataclass(frozen=True)
class Brief:
    challenge: str
    date: str  # ISO date the brief was made
    content_version: ContentVersion
    filters: dict[str, str]  # the case-study filters given, e.g. {"theme": "frailty"}
    base_url: str  # the learning site that every page link points into
    case_studies: list[CaseStudyItem]
    sections: list[Section]
    sources: list[Source]
    pages: list[Page]
    nothing_close: bool  # no entry of any kind was close to the challenge: the brief says so

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
