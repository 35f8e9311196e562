"""Receiving a new entry for review: POST /api/submissions (the curation itself is in
kb.curation). In order: a read-only replica (405), the token (401), its rate limit (429), the body's size (413) and
type (415), then the entry (422, 409) and storing it (503)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from kb.curation.body import JSON_TYPES, MAX_BODY_BYTES, YAML_TYPES, media_type
from kb.curation.store import Received, receive
from kb.errors import EntryExists, EntryInvalid, SubmissionExists
from kb.web.deps import Contributor, Services, Shared, writable
from kb.web.models import SUBMISSION_RESPONSES, SimilarEntryModel, SubmissionReceipt
from kb.web.strict import wrong_types

router = APIRouter(tags=["curation"])

BODY_MEDIA_TYPES = ("application/json", "application/yaml", "text/yaml")
# No body parameter (the body is read as bytes, with a limit), so declared here; the
# schema is completed with the entry models and the content's ids by kb.web.openapi.
ENTRY_BODY: dict[str, Any] = {
    "required": True,
    "description": "One entry, as in a content file (JSON or YAML, within the limits in CONTRIBUTING.md, 'Limits on input').",
    "content": {media: {"schema": {"type": "object"}} for media in BODY_MEDIA_TYPES},
}


@router.post(
    "/api/submissions",
    status_code=201,
    response_model=SubmissionReceipt,
    responses=SUBMISSION_RESPONSES,
    openapi_extra={"requestBody": ENTRY_BODY},
    dependencies=[Depends(writable("submissions"))],  # first: a replica refuses before the token is read
)
async def submit(request: Request, who: Contributor, shared: Shared) -> SubmissionReceipt:
    """Send an entry for review. The server sets `added` and `updated` (today: a date
    sent is ignored, and `set_by_server` says so), `status` (draft: any other value is
    refused) and, when it is left out, `contributor` (the token's name). The entry is
    then checked as `kb validate` checks a file (and each value must be of the JSON type
    this spec declares: no 0 for a date), and kept as a pending submission (never in the
    content) until a curator approves it with `kb review approve`."""
    media = check_headers(request)
    body = await read_body(request)
    try:
        # Off the event loop: reading the content, embedding and writing take a while.
        received = await run_in_threadpool(accept, shared, body, media, who)
    except (EntryExists, SubmissionExists):
        raise  # FileExistsErrors, yet not a failed write: 409, from the handlers
    except OSError:  # the disk failed mid-write: the file was never linked into place
        raise HTTPException(503, "the submission could not be written to disk, so nothing was kept; try again later") from None
    return receipt(received)


def check_headers(request: Request) -> str:
    """The body's media type; 413 if it says it is too long, 415 if not JSON or YAML."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body is {declared} bytes; the limit is {MAX_BODY_BYTES}")
    media = media_type(request.headers.get("content-type"))
    if media not in JSON_TYPES | YAML_TYPES:
        raise HTTPException(415, f"send the entry as application/json or application/yaml, not '{media or 'nothing'}'")
    return media


async def read_body(request: Request) -> bytes:
    """The body, counted as it is read (Content-Length can lie or be absent): 413 past the limit."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"the body is over the limit of {MAX_BODY_BYTES} bytes")
    return bytes(body)


def accept(shared: Services, body: bytes, media: str, who: str) -> Received:
    """Check the entry against the content as it is now, and keep it as pending."""
    content = shared.live.get()
    problems = wrong_types(body, media, content, who)
    if problems:
        raise EntryInvalid(sorted(problems))
    return receive(shared.origin, shared.store, content, body, media, who, shared.searcher.encoder)


def receipt(received: Received) -> SubmissionReceipt:
    sub = received.submission
    return SubmissionReceipt(
        id=sub.id,
        type=sub.type,
        title=sub.title,
        status="pending",
        submitted_by=sub.submitted_by,
        submitted_at=sub.submitted_at,
        similar=[SimilarEntryModel(**vars(s)) for s in received.similar],
        warnings=[s.message(f"'{sub.id}'") for s in received.similar],
        set_by_server=received.set_by_server,
    )
