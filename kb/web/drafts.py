"""Drafts: what the contribute page asks while an entry is being written. The form it
is built from (GET /api/drafts/form), a check of the whole draft exactly as a submission
is checked, with the page as it will look (POST /api/drafts/check), and the existing
entries very like a draft however unfinished (POST /api/similar). Nothing is stored.

Each needs a token (the form is for contributors) but none counts against its rate
limit: they write nothing, and the page calls them as the contributor types.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, get_origin

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from kb.content import REFERENCE_FIELDS, Content, reference_choices
from kb.core import KnowledgeBase
from kb.curation.body import JSON_TYPES, ServerFields, parse_body
from kb.curation.checks import look_for_similar
from kb.documents import DocumentError, decode, load_any
from kb.entry_types import ENTRY_TYPES, LABELS, URL_SEGMENTS
from kb.errors import EntryInvalid, Problem
from kb.models import ENTRY_MODELS, EntryBase
from kb.search.similarity import similar_to_draft
from kb.web.deps import Services, Shared, contributor
from kb.web.models import SUBMISSION_RESPONSES, DraftCheck, DraftForm, FormField, Responses, SimilarDrafts, SimilarEntryModel
from kb.web.openapi import SERVER_SET, Vocabulary, entry_body_schema
from kb.web.submissions import ENTRY_BODY, check_headers, read_body
from kb.web.text import REFUSED_CHARACTER

router = APIRouter(tags=["curation"])
log = logging.getLogger(__name__)
Writer = Annotated[str, Depends(contributor)]
DRAFT_RESPONSES: Responses = {k: v for k, v in SUBMISSION_RESPONSES.items() if k in (401, 413, 415, 422)}

# Where the form's words differ from the models' titles and descriptions (the screen
# reader names the issue fixes: "Source document", "Your name").
FORM_FIELDS: dict[str, FormField] = {
    "id": FormField(label="Short name for the web address", hint="Made from the title: lowercase letters, digits and hyphens. Change it only if it is taken."),
    "contributor": FormField(
        label="Your name", hint="As it will be shown on the page: a person, a team or an organisation. Left empty, the name you signed in with is used."
    ),
    "document": FormField(label="Source document", hint="The report the facts come from."),
    "page": FormField(label="Page", hint="A page number or range, such as 14 or 14-15. Give a page or a section."),
    "section": FormField(label="Section", hint="The part and heading, where the report is cited by section."),
    "themes": FormField(label="Themes", hint="What it is about. Type to narrow the list."),
    "roles": FormField(label="Roles", hint="Roles it introduced or redesigned."),
    "population_groups": FormField(label="Population groups", hint="Who the care is for."),
    "care_settings": FormField(label="Care settings", hint="Where the care is given."),
    "enablers": FormField(label="Enablers", hint="Enablers already in the knowledge base that it shows at work."),
    "barriers": FormField(label="Barriers", hint="Barriers already in the knowledge base that it met."),
    "case_studies": FormField(label="Case studies", hint="Case studies already in the knowledge base that show it."),
    "direction": FormField(label="Direction", hint="Whether the figure went up or down, stayed the same, or is a level (a count or a share)."),
    "qualifier": FormField(label="Qualifier", hint="The source's own hedge on the number, such as 'almost' in 'almost 100%'."),
    "contact": FormField(label="Contact", hint="A role, a team or a public address; never a private person's details without their consent."),
}


@router.get("/api/drafts/form", response_model=DraftForm, responses={401: SUBMISSION_RESPONSES[401]})
def form(who: Writer, shared: Shared) -> DraftForm:
    """What the contribute page's form is generated from: the submission body's schema
    (the entry models, tightened as `kb validate` checks), the names behind its ids, and
    the fields the server fills in."""
    content = shared.live.get()
    body, components = entry_body_schema(Vocabulary.of(content))
    return DraftForm(
        types={t: _one(t) for t in ENTRY_TYPES},
        body=body,
        components=components,
        choices=_choices(content),
        fields=FORM_FIELDS,
        server_set=sorted([*SERVER_SET.keys() - {"contributor"}, "reviewed_by"]),
        asked_first=["contributor"],
        urls={t: URL_SEGMENTS[t] + "/" for t in ENTRY_TYPES},
    )


def _one(entry_type: str) -> str:
    """'Case study' from 'Case studies'."""
    plural = LABELS[entry_type]
    return plural[:-3] + "y" if plural.endswith("ies") else plural.removesuffix("s")


def _choices(content: Content) -> dict[str, dict[str, str]]:
    """Field → id → the name a person knows it by: a term's name, an entry's title, a document's title."""
    names = {field: {i: content.term_name(target, i) for i in reference_choices(content, target)} for field, target in REFERENCE_FIELDS.items()}
    names["document"] = {d.id: d.title for d in content.documents.values()}
    return names


@router.post("/api/drafts/check", response_model=DraftCheck, responses=DRAFT_RESPONSES, openapi_extra={"requestBody": ENTRY_BODY})
async def check(request: Request, who: Writer, shared: Shared) -> DraftCheck:
    """Check a draft exactly as a submission is checked (`kb validate`'s rules): a 422
    lists every problem at its field, as `POST /api/submissions` would; a clean draft gets
    its page as the site will show it, and the existing entries very like it."""
    media = check_headers(request)
    body = await read_body(request)
    return await run_in_threadpool(check_draft, shared, body, media, who)


def check_draft(shared: Services, body: bytes, media: str, who: str) -> DraftCheck:
    from kb.site.preview import render
    from kb.web.strict import wrong_types

    content = shared.live.get()
    problems = wrong_types(body, media, content, who)
    entry, found = parse_body(body, media, content, server=ServerFields(who))
    if problems or found or entry is None:
        raise EntryInvalid(sorted(problems or found))
    similar, _ = look_for_similar(shared.origin, entry, shared.searcher.encoder, content)
    page = render(KnowledgeBase(shared.origin.root, shared.origin.data_dir, shared.origin.model, content=content), entry)
    return DraftCheck(valid=True, similar=[SimilarEntryModel(**vars(s)) for s in similar], warnings=[s.message("this draft") for s in similar], preview=page)


@router.post("/api/similar", response_model=SimilarDrafts, responses=DRAFT_RESPONSES, openapi_extra={"requestBody": ENTRY_BODY})
async def similar(request: Request, who: Writer, shared: Shared) -> SimilarDrafts:
    """Existing entries of the draft's type very like it (the duplicate warning's
    threshold), from whatever text it has so far. What it has is checked as a submission
    is (a 422 lists the problems), but the entry's own fields may be missing yet. A draft
    with no text gets an empty list."""
    media = check_headers(request)
    body = await read_body(request)
    return await run_in_threadpool(entries_like, shared, body, media, who)


def entries_like(shared: Services, body: bytes, media: str, who: str) -> SimilarDrafts:
    from kb.web.strict import wrong_types

    content = shared.live.get()
    try:
        data = load_any(decode(body), json_first=media in JSON_TYPES).data
    except DocumentError as exc:
        raise EntryInvalid([Problem("draft", exc.position.line, exc.position.column, exc.message)]) from None
    if not isinstance(data, dict):
        raise EntryInvalid([Problem("draft", 1, 1, "send the draft as one mapping of fields (a JSON object or a YAML mapping)")])
    # What it has so far is checked as a submission is; only its own missing fields are not problems yet.
    _, found = parse_body(body, media, content, server=ServerFields(who))
    problems = [p for p in wrong_types(body, media, content, who) + found if not _missing_yet(p)]
    if problems:
        raise EntryInvalid(sorted(problems))
    entry = draft_entry(data)
    if entry is None:
        return SimilarDrafts(similar=[], warnings=[])
    try:
        searcher = shared.searcher
        similar = similar_to_draft(entry, content, searcher.version, searcher.encoder)
    except Exception:
        log.exception("similar entries to a draft were not looked for")
        similar = []
    return SimilarDrafts(similar=[SimilarEntryModel(**vars(s)) for s in similar], warnings=[s.message("this draft") for s in similar])


def _missing_yet(problem: Problem) -> bool:
    """A field of the entry itself (not of a source or a metric in it) not given yet; but
    `type`, which says what the draft is."""
    field = problem.field or ""
    return problem.message.startswith("missing required field") and "." not in field and field != "type"


def draft_entry(data: dict[str, Any]) -> EntryBase | None:
    """An unfinished entry, enough to embed: its text fields as sent (plain strings
    only), every other field empty. Not validated, never stored."""
    if data.get("type") not in ENTRY_MODELS:
        return None
    model = ENTRY_MODELS[data["type"]]
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        given = data.get(name)
        if info.annotation in (str, str | None) and isinstance(given, str) and not REFUSED_CHARACTER.search(given):
            values[name] = given.strip()
        elif not info.is_required():
            values[name] = info.get_default(call_default_factory=True)
        else:
            values[name] = [] if get_origin(info.annotation) is list else dt.date.today() if info.annotation is dt.date else ""
    values["type"] = data["type"]
    if not (values.get("title") or values.get("summary")):
        return None
    return model.model_construct(**values)
