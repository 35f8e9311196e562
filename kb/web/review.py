"""Where submissions stand, and a reviewer's decision on them: the API behind the
contribute and review pages. A contributor's token sees its own submissions; a
reviewer's sees every pending one and approves (the entry is written into the content,
committed and republished) or rejects it with a reason the contributor reads."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool

from kb.core import KnowledgeBase
from kb.curation.review import Approved, approve, reject, review
from kb.curation.store import Decided, Submission, similar_warning
from kb.entry_types import SLUG, entry_url
from kb.errors import QueryError, UnknownSubmission, WriteFailed
from kb.models import ENTRY_MODELS, SourceRef
from kb.web.deps import Holder, Reviewer, Services, Shared, writable
from kb.web.models import ERRORS, REVIEW_RESPONSES, ApprovalReceipt, CitedSource, Message, Rejection, SubmissionDetail, SubmissionStatus, TokenHolder
from kb.web.text import check_text

router = APIRouter(tags=["curation"])


def _warnings(submission: Submission) -> list[str]:
    return [similar_warning(f"'{submission.id}'", s) for s in submission.similar]


def pending_status(submission: Submission) -> SubmissionStatus:
    return SubmissionStatus(
        id=submission.id,
        type=submission.type,
        title=submission.title,
        submitted_by=submission.submitted_by,
        submitted_at=submission.submitted_at,
        status="pending",
        warnings=_warnings(submission),
    )


def decided_status(decided: Decided) -> SubmissionStatus:
    """As when it was pending, with the decision: published with its page, or rejected with the reason."""
    sub = decided.submission
    published = decided.outcome == "approved"
    return pending_status(sub).model_copy(
        update={
            "status": "published" if published else "rejected",
            "decided_by": decided.by,
            "decided_at": decided.at,
            "reason": None if published else decided.reason,
            "url": entry_url(sub.type, sub.id) if published and sub.type else None,
        }
    )


@router.get("/api/me", response_model=TokenHolder, responses={401: REVIEW_RESPONSES[401]})
def me(holder: Holder) -> TokenHolder:
    """Whose token this is and its role: the contribute and review pages say who is
    signed in, and the review page tells a contributor it needs a reviewer's token."""
    return TokenHolder(name=holder.name, role="reviewer" if holder.role == "reviewer" else "contributor")


@router.get("/api/submissions", response_model=list[SubmissionStatus], responses=REVIEW_RESPONSES)
def submissions(holder: Holder, shared: Shared) -> list[SubmissionStatus]:
    """A reviewer: every pending submission, oldest first. A contributor: their own, pending
    and decided (published with its page, or rejected with the reviewer's reason)."""
    pending = [pending_status(s) for s in shared.store.pending()]
    if holder.role == "reviewer":
        return pending
    decided = [decided_status(d) for d in shared.store.decided()]
    return [s for s in pending + decided if s.submitted_by == holder.name]


@router.get("/api/submissions/{entry_id}", response_model=SubmissionDetail, responses=REVIEW_RESPONSES | ERRORS)
def submission(entry_id: str, holder: Holder, shared: Shared) -> SubmissionDetail:
    """One pending submission in full, for its review: the entry as it will be written, the
    sources it cites, and a diff against an existing entry with the same title."""
    found = _pending(shared, entry_id, holder.name if holder.role != "reviewer" else None)
    kb = KnowledgeBase(shared.origin.root, shared.origin.data_dir, shared.origin.model, content=shared.live.get())
    seen = review(kb, shared.store, found.id)
    documents = kb.content.documents
    sources = [SourceRef.model_validate(s) for s in found.entry.get("sources", []) if isinstance(s, dict)]
    return SubmissionDetail(
        **pending_status(found).model_dump(),
        entry=found.entry,
        text=seen.text,
        sources=[CitedSource(document=s.document, title=documents[s.document].title if s.document in documents else "", where=s.label()) for s in sources],
        similar_entry=seen.compared.stem if seen.compared else None,
        diff=seen.diff,
        preview=_preview(kb, found),
    )


def _preview(kb: KnowledgeBase, found: Submission) -> str:
    """Its page as the site will show it; '' if it no longer fits the models."""
    from pydantic import ValidationError

    from kb.site.preview import render

    model = ENTRY_MODELS.get(found.type or "")
    try:
        return render(kb, model.model_validate(found.entry)) if model else ""
    except ValidationError:
        return ""


def _pending(shared: Services, entry_id: str, only_from: str | None) -> Submission:
    """The pending submission; 404 naming nothing else for a contributor (whose are
    waiting is not theirs to learn), the ids waiting for a reviewer."""
    if not SLUG.match(entry_id):  # not an id at all: not echoed (it may hold anything)
        raise HTTPException(404, "no pending submission has that id (ids are lowercase letters, digits and single hyphens)")
    try:
        found = shared.store.get(entry_id)
    except UnknownSubmission as exc:
        raise HTTPException(404, str(exc) if only_from is None else f"no pending submission of yours with id '{entry_id}'") from None
    if only_from is not None and found.submitted_by != only_from:
        raise HTTPException(404, f"no pending submission of yours with id '{entry_id}'")
    return found


@router.post(
    "/api/submissions/{entry_id}/approve",
    response_model=ApprovalReceipt,
    responses=REVIEW_RESPONSES | {409: {"description": "The id was published meanwhile"}, 422: {"description": "No longer valid against today's content"}},
    dependencies=[Depends(writable("approvals"))],
)
async def approve_submission(entry_id: str, who: Reviewer, shared: Shared) -> ApprovalReceipt:
    """Publish it: checked again against today's content, written into content/, committed
    (the contributor as author, this reviewer in `Reviewed-by`) and pushed; the server
    republishes it within seconds."""
    _pending(shared, entry_id, None)
    done = await run_in_threadpool(_approve, shared, entry_id, who)
    git = done.git
    return ApprovalReceipt(
        id=done.entry.id,
        status="published",
        url=entry_url(done.entry.type, done.entry.id),
        path=f"content/{done.path.parent.name}/{done.path.name}",
        commit=git.commit if git else "",
        pushed=git.pushed if git else False,
        message=git.message if git else "published (the content is not in git)",
        warning=git.warning if git else False,
    )


def _approve(shared: Services, entry_id: str, who: str) -> Approved:
    kb = KnowledgeBase(shared.origin.root, shared.origin.data_dir, shared.origin.model, content=shared.live.get())
    try:
        return approve(kb, shared.store, entry_id, who)
    except WriteFailed:
        raise HTTPException(503, "the entry could not be written to disk, so nothing was published; try again later") from None


@router.post(
    "/api/submissions/{entry_id}/reject",
    response_model=SubmissionStatus,
    responses=REVIEW_RESPONSES | ERRORS | {400: {"model": Message, "description": "The body is not JSON"}},
    dependencies=[Depends(writable("decisions"))],
)
def reject_submission(entry_id: str, body: Rejection, who: Reviewer, shared: Shared) -> SubmissionStatus:
    """Turn it down, with a reason the contributor sees in their list."""
    check_text("reason", body.reason)
    if not body.reason.strip():
        raise QueryError("reason", "give the contributor a reason")
    found = _pending(shared, entry_id, None)
    reject(shared.store, found.id, body.reason, who)
    decided = next(d for d in reversed(shared.store.decided()) if d.submission.id == found.id)
    return decided_status(decided)
