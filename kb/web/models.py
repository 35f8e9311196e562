"""What the OpenAPI document declares: the parameters' types, the response models, and
the answers other than 200 each endpoint may give.

A search result and a similar entry are the search package's own dataclasses made
pydantic (subclasses that add only descriptions), so that a field added there is in the
API, and in its spec, at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from kb.entry_types import ENTRY_TYPES
from kb.evidence import Evidence, Level
from kb.models import Barrier, CaseStudy, Caveat, Dilemma, Enabler, Framework, MdtCharacteristic, TopTip
from kb.search.explain import Result
from kb.search.query import Expansion
from kb.search.similarity import SimilarEntry

EntryType = Literal["case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma", "framework"]
SearchType = Literal[EntryType, "all"]
assert list(get_args(EntryType)) == ENTRY_TYPES  # spelled out so that the spec lists them; kb.entry_types is the one list

_NULL = {"type": "null"}


def declared(descriptions: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    """Edits the JSON Schema of a response dataclass into the one the API declares:
    ``descriptions`` on their fields (a KeyError at import if one names no field); no
    defaults, which say nothing of a response; required, the fields that are never null
    (as the spec has said since its first version)."""

    def edit(schema: dict[str, Any]) -> None:
        properties: dict[str, dict[str, Any]] = schema["properties"]
        for name, text in descriptions.items():
            properties[name]["description"] = text
        for field in properties.values():
            field.pop("default", None)
        schema["required"] = [name for name, field in properties.items() if _NULL not in field.get("anyOf", [])]

    return edit


_RESULT_FIELDS = {
    "score": "Fused score (hybrid), cosine (dense) or BM25 score.",
    "url": "The entry's page on the learning site, relative to its root.",
    "match": "The passage that matched best: why this entry was returned.",
    "match_terms": "Words of the passage that share a stem with the query.",
    "relevance": "How close the entry is to the query, 0 to 1, comparable across queries (not scaled per query).",
    "close": "Whether the relevance reaches the threshold of a close match (0.5).",
    "evidence": "A case study's evidence level: measured, survey, estimated or described (see the site's page How we rate evidence); null for other entry types.",
}


@pydantic_dataclass(config=ConfigDict(json_schema_extra=declared(_RESULT_FIELDS)))
class SearchResult(Result):
    pass  # no docstring: it would become the schema's description


_SIMILAR_FIELDS = {"similarity": "Cosine similarity of the two entries' mean passage vectors (warning at 0.89 or more)."}


@pydantic_dataclass(frozen=True, config=ConfigDict(json_schema_extra=declared(_SIMILAR_FIELDS)))
class SimilarEntryModel(SimilarEntry):
    pass


@pydantic_dataclass(frozen=True)
class ExpansionModel(Expansion):
    pass


class EvidenceLabel(BaseModel):
    """kb.evidence's label of a case study, as the site shows it under the title."""

    level: Level = Field(description="measured, survey, estimated or described (strongest first).")
    label: str = Field(description="The level in words, e.g. 'Measured results'.")
    explanation: str = Field(description="What the level means, as the page 'How we rate evidence' says.")
    measured: int = Field(description="How many figures are measured changes.")
    surveyed: int = Field(description="How many figures come from surveys.")
    estimated: int = Field(description="How many figures are estimates or projections.")
    caveats: list[Caveat] = Field(description="The case study's, its figures' and its source reports' own cautions.")

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceLabel:
        return cls(
            level=evidence.level,
            label=evidence.label,
            explanation=evidence.explanation,
            measured=evidence.measured,
            surveyed=evidence.surveyed,
            estimated=evidence.estimated,
            caveats=list(evidence.caveats),
        )


class CaseStudyAnswer(CaseStudy):
    """A case study as the API answers it: as written, with its evidence label."""

    evidence: EvidenceLabel


# GET /api/entries/{id}: an entry as written; a case study with its evidence label too.
EntryAnswer = Annotated[CaseStudyAnswer | TopTip | Enabler | Barrier | MdtCharacteristic | Dilemma | Framework, Field(discriminator="type")]


class SearchResponse(BaseModel):
    query: str
    mode: str
    results: list[SearchResult]
    expansions: list[ExpansionModel] = Field(description="Glossary terms found in the query and what they stand for, e.g. AHP → allied health professional.")
    did_you_mean: str | None = Field(description="The query with words the index does not know corrected to the closest it does; null if none was.")
    no_close_match: bool = Field(description="True when no result is close (every `close` false): the results are only the nearest entries.")


class EntrySummary(BaseModel):
    id: str
    type: str
    title: str
    organisation: str | None = None
    summary: str
    url: str


class EntryPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[EntrySummary]


class Health(BaseModel):
    status: Literal["ok"]
    entries: int
    passages: int
    built_at: str
    model: str
    index: str = Field(description="The dense index's kind: FlatIP (exact) or, past the size set in kb/search/index.py, HNSWFlat (approximate).")
    version: str = Field(description="The published content version being served ('' if served unpublished, as `kb serve` started).")
    published_at: str = Field(description="When that version was published (UTC, ISO 8601; '' if not published).")
    pending_problems: int = Field(description="Problems that keep the newest content from being published (`kb validate` lists them).")


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: list[ErrorItem] | str


class SubmissionReceipt(BaseModel):
    id: str = Field(description="The submission's id: the entry's id.")
    type: str
    title: str
    status: Literal["pending"] = Field(description="Waiting for a curator (kb review).")
    submitted_by: str = Field(description="The name of the token it was sent with.")
    submitted_at: str = Field(description="When it was stored (UTC, ISO 8601).")
    similar: list[SimilarEntryModel] = Field(description="Existing entries very like it, most similar first.")
    warnings: list[str] = Field(description="One readable warning per similar entry.")
    set_by_server: list[str] = Field(description="One note per value sent that the server set instead (`added`, `updated`): it was ignored.")


class SubmissionProblem(ErrorItem):
    line: int = Field(description="Line in the submitted text (1 if not known).")
    column: int


class SubmissionErrors(BaseModel):
    detail: list[SubmissionProblem]


class Message(BaseModel):
    detail: str


Responses = dict[int | str, dict[str, Any]]
ERRORS: Responses = {422: {"model": ErrorBody, "description": "Invalid parameter"}}
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such entry"}}
SUBMISSION_RESPONSES: Responses = {
    401: {"model": Message, "description": "Missing, unknown or revoked token"},
    409: {"model": Message, "description": "An entry or a pending submission already has this id"},
    413: {"model": Message, "description": "Body over the size limit (CONTRIBUTING.md, 'Limits on input')"},
    415: {"model": Message, "description": "Not JSON or YAML"},
    422: {"model": SubmissionErrors, "description": "Every problem with the entry, each with its field"},
    429: {"model": Message, "description": "Too many submissions with this token; see Retry-After"},
    503: {"model": Message, "description": "Could not be stored (nothing was kept); try again"},
}


# --- reviewing submissions ------------------------------------------------------------


class SubmissionStatus(BaseModel):
    """Where a submission stands, as its contributor and the reviewers see it."""

    id: str
    type: str
    title: str
    submitted_by: str = Field(description="The name of the token it was sent with.")
    submitted_at: str
    status: Literal["pending", "published", "rejected"]
    decided_by: str | None = Field(None, description="The reviewer who approved or rejected it.")
    decided_at: str | None = None
    reason: str | None = Field(None, description="Why it was rejected, for the contributor.")
    url: str | None = Field(None, description="Its page on the site, once published (relative to the site's root).")
    warnings: list[str] = Field(description="One warning per existing entry very like it.")


class CitedSource(BaseModel):
    document: str
    title: str = Field(description="The document's title ('' if the id is unknown).")
    where: str = Field(description="The page or section cited, as a reader would write it, e.g. 'p14'.")


class SubmissionDetail(SubmissionStatus):
    """A submission in full, for its review."""

    entry: dict[str, Any] = Field(description="The entry as sent, with what the server set.")
    text: str = Field(description="The entry as it will be written into content/ (YAML).")
    sources: list[CitedSource] = Field(description="The sources it cites.")
    similar_entry: str | None = Field(None, description="The id of the existing entry it is compared with: one with the same title, else the most similar one.")
    diff: str = Field(description="Unified diff from that entry's file to this submission ('' if none).")
    preview: str = Field(description="Its page as the site will show it (HTML, every value escaped), or '' if it no longer checks out.")


class TokenHolder(BaseModel):
    name: str = Field(description="The token's name: who submits or reviews with it.")
    role: Literal["contributor", "reviewer"]


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why, in words the contributor can act on.")


class ApprovalReceipt(BaseModel):
    id: str
    status: Literal["published"]
    url: str = Field(description="Its page on the site: live within seconds, once the server has republished.")
    path: str = Field(description="The file written, e.g. content/case_studies/ID.yaml.")
    commit: str = Field(description="The git commit that records it ('' outside git).")
    pushed: bool
    message: str = Field(description="What happened in git, for the reviewer.")
    warning: bool = Field(description="True when the reviewer must act (a push conflict, a failed commit).")


REVIEW_RESPONSES: Responses = {
    401: {"model": Message, "description": "Missing, unknown or revoked token"},
    403: {"model": Message, "description": "A contributor's token, where a reviewer's is needed"},
    404: {"model": Message, "description": "No such pending submission (or not one of yours)"},
    429: {"model": Message, "description": "Too many requests with this token; see Retry-After"},
}


class DraftCheck(BaseModel):
    """A draft checked as `kb validate` checks a file, and the entries very like it."""

    valid: Literal[True] = Field(description="The draft has no problem: it can be submitted (problems are a 422, as for a submission).")
    similar: list[SimilarEntryModel] = Field(description="Existing entries of its type very like it (a likely duplicate), most similar first.")
    warnings: list[str] = Field(description="One readable warning per similar entry.")
    preview: str = Field(description="Its page as the site will show it once published (HTML, every value escaped).")


class SimilarDrafts(BaseModel):
    """Existing entries very like a draft, however unfinished."""

    similar: list[SimilarEntryModel] = Field(description="Entries of the draft's type very like it, most similar first.")
    warnings: list[str] = Field(description="One readable warning per similar entry.")


class FormField(BaseModel):
    """How the contribute page shows one field of the entry models."""

    label: str = Field(description="Its visible, accessible name.")
    hint: str = Field("", description="Help shown under it.")


class DraftForm(BaseModel):
    """What the contribute page builds its form from: the entry models' JSON Schema (as
    a submission is checked), and the names of what the ids in it refer to."""

    types: dict[str, str] = Field(description="Entry type → its name, in the order offered.")
    body: dict[str, Any] = Field(description="The submission body's JSON Schema: one of the entry models, by `type`.")
    components: dict[str, Any] = Field(description="The schemas `body` refers to (#/components/schemas/NAME).")
    choices: dict[str, dict[str, str]] = Field(description="For each field naming other things by id (themes, entries, documents): id → its name.")
    fields: dict[str, FormField] = Field(description="Labels and hints that differ from the schema's own titles and descriptions.")
    server_set: list[str] = Field(description="Fields the server fills in: not shown.")
    asked_first: list[str] = Field(description="Optional fields asked with the required ones (the server fills them in when left empty).")
    urls: dict[str, str] = Field(description="Entry type → where its pages are on the site (an entry's page is this plus its id and '/').")
