"""The content model: every kind of entry in ``content/``, as typed pydantic models.

Each YAML file under ``content/<folder>/`` holds one entry; its ``type`` field picks the
model. ``content/sources.yaml`` describes the source documents once, and
``content/taxonomy.yaml`` holds the controlled vocabularies that entries refer to.
Field descriptions here are what contributors see in the generated JSON Schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from kb.entry_types import AIMS, ENTRY_TYPES, MAX_ID, SLUG_PATTERN

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=MAX_ID)]
Text = Annotated[str, Field(min_length=1)]
# Prose of a sentence or more: the contribute page gives it a text area, not one line.
LONG: JsonDict = {"x-kb-long": True}


class Strict(BaseModel):
    """Unknown keys are mistakes (``approch`` for ``approach``), so they are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- sources ---------------------------------------------------------------------------


class SourceDocument(Strict):
    """A report the knowledge base draws on, described once in ``content/sources.yaml``."""

    id: Slug = Field(description="Short id that entries cite, e.g. `ncm-workforce-2017`.")
    title: Text = Field(description="Full title of the document.")
    publisher: Text = Field(description="Who published it.")
    date: str = Field(description="Publication date as given, e.g. `2017-08`.", pattern=r"^\d{4}(-\d{2})?(-\d{2})?$")
    version: str | None = Field(None, description="Version, where the document states one.")
    file: str | None = Field(None, description="File name under shared/sources, if held.")
    url: str | None = Field(None, description="Where the public can read it.")
    citation: str = Field("page", description="How it is cited: by `page` number or by `section` heading.")
    summary: str | None = Field(None, description="What the document holds, in a sentence or two.")
    caveats: list[Caveat] = Field(default_factory=list, description="What the document itself says limits its evidence; each cites its page or section.")

    @model_validator(mode="after")
    def _caveats_cite_this_document(self) -> SourceDocument:
        for caveat in self.caveats:
            if caveat.source is None or caveat.source.document != self.id:
                raise ValueError(f"each caveat of '{self.id}' needs a `source` in '{self.id}' (its page or section)")
        return self


class SourcesFile(Strict):
    """``content/sources.yaml``."""

    documents: list[SourceDocument]


class SourceRef(Strict):
    """Where a claim comes from: a document id plus a page or a section (or both)."""

    document: Slug = Field(description="Id of a document in content/sources.yaml.")
    page: int | str | None = Field(None, description="Page number or range (e.g. 14 or '14-15').")
    section: str | None = Field(None, description="Part and heading, e.g. 'Part Four – Obstacles and barriers / Indemnity and insurance'.")
    appendix: str | None = Field(None, description="The report's own appendix reference, e.g. 'Appendix 9, p64'.")

    @model_validator(mode="after")
    def _page_or_section(self) -> SourceRef:
        if self.page is None and self.section is None:
            raise ValueError("a source needs a `page` or a `section`")
        return self

    def label(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"p{self.page}")
        if self.section:
            parts.append(self.section)
        if self.appendix:
            parts.append(f"({self.appendix})")
        return ", ".join(parts)


class Caveat(Strict):
    """A limit a source puts on its own evidence (too early to judge, self-reported, ...).

    Clinicians deciding whether to copy a model need these beside the figures they qualify,
    so they are data, not prose buried in ``detail``."""

    text: Text = Field(description="The caveat, in our own words.", json_schema_extra=LONG)
    source: SourceRef | None = Field(None, description="Where the source says so, if not the first source of what it qualifies.")


# --- taxonomy --------------------------------------------------------------------------


class Term(Strict):
    """One term in a controlled vocabulary."""

    id: Slug
    name: Text
    description: str | None = None
    aliases: list[str] = Field(default_factory=list, description="Other names people search by.")


class Taxonomy(Strict):
    """``content/taxonomy.yaml``: the vocabularies that entries refer to by id.

    Enablers and barriers are entries in their own right (``content/enablers``,
    ``content/barriers``), so references to them resolve against those entries.
    """

    themes: list[Term] = Field(description="Broad themes (the 2017 report's key characteristics and wider topics).")
    population_groups: list[Term] = Field(description="Who the care is for, e.g. frail older people.")
    care_settings: list[Term] = Field(description="Where care is given, e.g. care homes, primary care.")
    roles: list[Term] = Field(description="Roles introduced or redesigned, e.g. care navigator.")

    def vocabularies(self) -> dict[str, list[Term]]:
        return {
            "themes": self.themes,
            "population_groups": self.population_groups,
            "care_settings": self.care_settings,
            "roles": self.roles,
        }


# --- glossary --------------------------------------------------------------------------


class GlossaryTerm(Strict):
    """A term or abbreviation readers meet, explained once; search expands queries with it."""

    id: Slug = Field(description="Slug of the term, e.g. `ahp`.")
    term: Text = Field(description="The term as written, e.g. 'AHP' or 'vanguard'.")
    expansion: str | None = Field(None, description="What an abbreviation stands for, e.g. 'allied health professional'.")
    definition: Text = Field(description="One sentence, in our own words.", max_length=600)
    synonyms: list[str] = Field(default_factory=list, description="Words that mean the same, including plain words for an NHS term.")
    related: list[str] = Field(default_factory=list, description="Related phrases a planner might type.")
    source: SourceRef | Literal["general usage"] = Field(description="Where a report defines it, or `general usage` where none does.")

    @field_validator("synonyms", "related")
    @classmethod
    def _no_blank_phrases(cls, v: list[str]) -> list[str]:
        if any(not a.strip() for a in v):
            raise ValueError("phrases may not be blank")
        return v


class GlossaryFile(Strict):
    """``content/glossary.yaml``."""

    terms: list[GlossaryTerm]


# --- entries ---------------------------------------------------------------------------

Status = Literal["draft", "reviewed", "published"]
OrganisationKind = Literal["vanguard", "integration-pioneer", "primary-care-home", "royal-college-or-faculty", "other"]
VanguardType = Literal[
    "multispecialty-community-provider",
    "primary-and-acute-care-system",
    "enhanced-health-in-care-homes",
    "acute-care-collaboration",
    "urgent-and-emergency-care",
]
Aim = Literal["population-health", "individual-experience", "cost", "staff-experience"]
assert list(get_args(Aim)) == [key for _, key, _ in AIMS], "kb.entry_types.AIMS and Aim disagree"
# How sources hedge a number; kept apart from the value so 'almost 100%' is never read as 100%.
Qualifier = Literal["almost", "around", "approximately", "over", "up to", "at least", "more than", "fewer than"]


class EntryBase(Strict):
    """Fields every entry has: identity, summary, taxonomy, sources and curation."""

    id: Slug = Field(description="Slug, equal to the file name without `.yaml`.")
    type: str = Field(description="The entry type; each type's model allows only its own name.")
    title: Text = Field(description="Title as a reader would look for it.")
    summary: Text = Field(description="One to three sentences that stand on their own.", max_length=1200, json_schema_extra=LONG)
    detail: str | None = Field(None, description="Longer explanation in our own words.", json_schema_extra=LONG)
    themes: list[Slug] = Field(default_factory=list, description="Theme ids from taxonomy.yaml.")
    aliases: list[str] = Field(default_factory=list, description="Other spellings and names, so search finds either.")
    sources: list[SourceRef] = Field(min_length=1, description="Where the facts come from.")
    caveats: list[Caveat] = Field(default_factory=list, description="Limits the source puts on this entry's evidence.")
    contributor: Text = Field(description="Who wrote the entry (person or organisation).")
    contact: str | None = Field(
        None,
        max_length=200,
        description="Who to ask about it, as the source or contributor publishes it: a role, a team or a public address "
        "(e.g. 'Workforce lead, Dudley MCP' or a team's mailbox); never a private person's details without their consent.",
    )
    status: Status = Field("published", description="Curation status.")
    reviewed_by: str | None = Field(None, description="Curator who approved the entry.")
    added: dt.date = Field(description="Date first added (YYYY-MM-DD).")
    updated: dt.date | None = Field(None, description="Date last changed (YYYY-MM-DD).")

    @field_validator("aliases")
    @classmethod
    def _no_blank_aliases(cls, v: list[str]) -> list[str]:
        if any(not a.strip() for a in v):
            raise ValueError("aliases may not be blank")
        return v


class Outcomes(Strict):
    """Outcomes by the Quadruple Aim. Leave an aim out when the source reports nothing for it."""

    population_health: str | None = Field(None, description="Better health for the population.", json_schema_extra=LONG)
    individual_experience: str | None = Field(None, description="Better experience of care for people.", json_schema_extra=LONG)
    cost: str | None = Field(None, description="Lower cost per head / savings.", json_schema_extra=LONG)
    staff_experience: str | None = Field(None, description="Joy and meaning for staff in providing care.", json_schema_extra=LONG)


class Metric(Strict):
    """A measured result exactly as the source gives it."""

    measure: Text = Field(description="What was measured, e.g. 'A&E attendances'.")
    value: float = Field(description="The number as given (53 for 53%, 553000 for £553k).")
    unit: Literal["percent", "gbp", "count", "ratio", "people", "practices", "hours", "days", "other"] = Field(description="Unit of the value.")
    direction: Literal["increase", "decrease", "no-change", "level"] = Field(
        "level", description="`increase`/`decrease` for a change; `level` for a count or share."
    )
    as_reported: Text = Field(description="The figure as the source words it, e.g. '£553k saving'.")
    aim: Aim | None = Field(None, description="Which aim of the Quadruple Aim it evidences.")
    period: str | None = Field(None, description="Period or date the figure covers, as given.")
    qualifier: Qualifier | None = Field(None, description="The source's hedge on the number, e.g. `almost` for 'almost 100%'.")
    upper: float | None = Field(None, description="Upper end when the source gives a range (50 for '40-50%', with value 40).")
    estimated: bool = Field(False, description="True when the source calls it an estimate or projection.")
    survey: bool = Field(False, description="True when the figure comes from a survey of staff or patients (what people said, not what was counted).")
    source: SourceRef | None = Field(None, description="Where this figure is, if not the entry's first source.")
    caveats: list[Caveat] = Field(default_factory=list, description="Limits the source puts on this figure.")

    @model_validator(mode="after")
    def _qualifier_and_range_match_the_wording(self) -> Metric:
        # A value alone would turn 'almost 100%' into 100%: the qualifier must be the source's own.
        if self.qualifier and self.qualifier not in self.as_reported.lower():
            raise ValueError(f"qualifier '{self.qualifier}' does not occur in as_reported")
        if self.upper is not None and self.upper <= self.value:
            raise ValueError("upper must be above value")
        return self

    def figure(self) -> str:
        """The value as readers should see it: qualifier, number or range, unit."""
        number = _number(self.value) + (f"–{_number(self.upper)}" if self.upper is not None else "")
        if self.unit == "percent":
            shown = f"{number}%"
        elif self.unit == "gbp":
            shown = f"£{number}"
        elif self.unit in ("count", "ratio", "other"):
            shown = number
        else:
            shown = f"{number} {self.unit}"
        return f"{self.qualifier} {shown}" if self.qualifier else shown


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:,g}"


class CaseStudy(EntryBase):
    """An organisation's experience of redesigning its workforce."""

    type: Literal["case-study"]
    organisation: Text = Field(description="Lead organisation, canonical spelling.")
    partners: list[str] = Field(default_factory=list, description="Partner organisations.")
    organisation_kind: OrganisationKind = Field(description="What kind of organisation leads it.")
    vanguard_types: list[VanguardType] = Field(default_factory=list, description="Vanguard types, where a vanguard.")
    place: str | None = Field(None, description="Place or footprint, e.g. 'Isle of Wight'.")
    challenge: str | None = Field(None, description="The workforce issues faced.", json_schema_extra=LONG)
    approach: Text = Field(description="What they did.", json_schema_extra=LONG)
    outcomes: Outcomes = Field(default_factory=Outcomes, description="Outcomes by the Quadruple Aim.")
    metrics: list[Metric] = Field(default_factory=list, description="Measured results, exactly as given.")
    roles: list[Slug] = Field(default_factory=list, description="Role ids (taxonomy) introduced or redesigned.")
    enablers: list[Slug] = Field(default_factory=list, description="Ids of enabler entries it illustrates.")
    barriers: list[Slug] = Field(default_factory=list, description="Ids of barrier entries it illustrates.")
    population_groups: list[Slug] = Field(default_factory=list, description="Population group ids (taxonomy).")
    care_settings: list[Slug] = Field(default_factory=list, description="Care setting ids (taxonomy).")
    quote: str | None = Field(None, description="A short attributed quotation, if the source gives one.", json_schema_extra=LONG)


class Illustrated(EntryBase):
    """An entry that case studies illustrate (tips, enablers, barriers, …)."""

    case_studies: list[Slug] = Field(default_factory=list, description="Ids of case studies that illustrate it.")


class TopTip(Illustrated):
    """One of the 2017 report's top tips, in its group."""

    type: Literal["top-tip"]
    group: Text = Field(description="The group of tips it belongs to, e.g. 'Involve and engage'.")


class Enabler(Illustrated):
    """Something that helps workforce change succeed."""

    type: Literal["enabler"]


class Barrier(Illustrated):
    """An obstacle to workforce change, and what helps get past it."""

    type: Literal["barrier"]
    mitigations: list[str] = Field(default_factory=list, description="What the sources suggest helps.")


class MdtCharacteristic(Illustrated):
    """A characteristic of effective multi-disciplinary working."""

    type: Literal["mdt-characteristic"]


class Dilemma(Illustrated):
    """An emerging issue with no settled answer yet."""

    type: Literal["dilemma"]
    question: str | None = Field(None, description="The dilemma put as a question.")


class FrameworkItem(Strict):
    name: Text
    description: str | None = None


class Framework(Illustrated):
    """A framework the reports set out (e.g. the Quadruple Aim), with its parts."""

    type: Literal["framework"]
    items: list[FrameworkItem] = Field(default_factory=list, description="The framework's parts, in order.")


Entry = Annotated[
    CaseStudy | TopTip | Enabler | Barrier | MdtCharacteristic | Dilemma | Framework,
    Field(discriminator="type"),
]

ENTRY_MODELS: dict[str, type[EntryBase]] = {
    "case-study": CaseStudy,
    "top-tip": TopTip,
    "enabler": Enabler,
    "barrier": Barrier,
    "mdt-characteristic": MdtCharacteristic,
    "dilemma": Dilemma,
    "framework": Framework,
}

SourceDocument.model_rebuild()  # its caveats refer to Caveat, defined after it

assert list(ENTRY_MODELS) == ENTRY_TYPES, "kb.entry_types lists the same types in the same order"
