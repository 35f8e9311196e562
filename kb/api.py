"""The JSON API (FastAPI): a thin door onto :class:`kb.core.KnowledgeBase`.

Every response is a pydantic model, so the OpenAPI spec at ``/api/openapi.json`` is
exact. Every error is JSON: 422 names the parameter and the reason, 404 an unknown id
or path, 500 never shows a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from kb.core import KnowledgeBase, summary_json
from kb.entry_types import ENTRY_TYPES
from kb.errors import EntryExists, EntryInvalid, QueryError, SubmissionExists, UnknownEntry, UnknownValue
from kb.models import Entry, Taxonomy
from kb.batching import QueryBatcher
from kb.search import MAX_K, MAX_QUERY_CHARS, check_query

EntryType = Literal["case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma", "framework"]
SearchType = Literal["case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma", "framework", "all"]
assert list(EntryType.__args__) == ENTRY_TYPES  # type: ignore[attr-defined]


class SearchResult(BaseModel):
    id: str
    type: str
    title: str
    organisation: str | None = None
    score: float = Field(description="Fused score (hybrid), cosine (dense) or BM25 score.")
    url: str = Field(description="The entry's page on the learning site, relative to its root.")
    match: str = Field(description="The passage that matched best: why this entry was returned.")
    match_field: str
    match_terms: list[str] = Field(description="Words of the passage that share a stem with the query.")
    summary: str
    dense: float | None = None
    bm25: float | None = None


class SearchResponse(BaseModel):
    query: str
    mode: str
    results: list[SearchResult]


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


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: list[ErrorItem] | str


class SimilarEntryModel(BaseModel):
    id: str
    type: str
    title: str
    similarity: float = Field(description="Cosine similarity of the two entries' mean passage vectors (warning at 0.89 or more).")


class SubmissionReceipt(BaseModel):
    id: str = Field(description="The submission's id: the entry's id.")
    type: str
    title: str
    status: Literal["pending"] = Field(description="Waiting for a curator (kb review).")
    submitted_by: str = Field(description="The name of the token it was sent with.")
    submitted_at: str = Field(description="When it was stored (UTC, ISO 8601).")
    similar: list[SimilarEntryModel] = Field(description="Existing entries very like it, most similar first.")
    warnings: list[str] = Field(description="One readable warning per similar entry.")


class SubmissionProblem(ErrorItem):
    line: int = Field(description="Line in the submitted text (1 if not known).")
    column: int


class SubmissionErrors(BaseModel):
    detail: list[SubmissionProblem]


class Message(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody, "description": "Invalid parameter"}}
SUBMISSION_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "Missing, unknown or revoked token"},
    409: {"model": Message, "description": "An entry or a pending submission already has this id"},
    413: {"model": Message, "description": "Body over 1 MB"},
    415: {"model": Message, "description": "Not JSON or YAML"},
    422: {"model": SubmissionErrors, "description": "Every problem with the entry, each with its field"},
    429: {"model": Message, "description": "Too many submissions with this token; see Retry-After"},
    503: {"model": Message, "description": "Could not be stored (nothing was kept); try again"},
}
ENTRY_BODY: dict[str, Any] = {
    "required": True,
    "description": "One entry, as in a content file (JSON or YAML, at most 1 MB).",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/yaml": {"schema": {"type": "string"}},
        "text/yaml": {"schema": {"type": "string"}},
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such entry"}}


def invalid(field: str, message: str, kind: str = "value_error") -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["query", field], "msg": message, "type": kind}])


def _loc(field: str) -> list[str | int]:
    """'sources.0.document' -> ['sources', 0, 'document'] (as FastAPI's own errors say it)."""
    return [int(p) if p.isdigit() else p for p in field.split(".") if p] if field else []


def create_app(kb: KnowledgeBase, site_dir: Path | None = None) -> FastAPI:
    """The API under ``/api`` and, if given, the built site at ``/``."""
    app = FastAPI(
        title="kb — lessons for redesigning health and care teams",
        version="1",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    kb.content  # validate at start: a content problem stops the server, not a request
    searcher = kb.searcher()  # loaded once; the process is read-only from here
    batcher = QueryBatcher(searcher.encoder)
    app.state.kb = kb

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "internal error"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/api/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    async def search(  # async: queries wait together for the batcher, then rank in a few ms
        q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS, description="The challenge, in your own words."),
        k: int = Query(5, ge=1, le=MAX_K, description="How many results."),
        type: SearchType = Query("case-study", description="Entry type, or 'all'."),
        theme: str | None = Query(None, max_length=100),
        enabler: str | None = Query(None, max_length=100),
        barrier: str | None = Query(None, max_length=100),
        kind: str | None = Query(None, max_length=100),
        mode: Literal["hybrid", "dense", "bm25"] = Query("hybrid"),
    ) -> SearchResponse:
        """The entries most like the query, each with the passage that matched: the same
        items as `kb find --json`."""
        try:
            text = check_query(q, k)
            vector = await batcher.embed(text) if mode != "bm25" else None
            results = kb.find(text, k, type, mode, vector=vector, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
        except QueryError as exc:
            raise invalid(exc.field, str(exc)) from None
        except UnknownValue as exc:
            raise invalid(exc.field, str(exc)) from None
        return SearchResponse(query=q, mode=mode, results=[SearchResult(**r.to_json()) for r in results])

    @app.get("/api/entries", response_model=EntryPage, responses=ERRORS, tags=["entries"])
    def entries(
        type: EntryType | None = Query(None),
        theme: str | None = Query(None, max_length=100),
        enabler: str | None = Query(None, max_length=100),
        barrier: str | None = Query(None, max_length=100),
        kind: str | None = Query(None, max_length=100),
        offset: int = Query(0, ge=0, le=1_000_000),
        limit: int = Query(50, ge=1, le=200),
    ) -> EntryPage:
        """Published entries, filtered by type and taxonomy, a page at a time."""
        try:
            chosen = kb.entries(type, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
        except UnknownValue as exc:
            raise invalid(exc.field, str(exc)) from None
        page = chosen[offset : offset + limit]
        return EntryPage(total=len(chosen), offset=offset, limit=limit, items=[EntrySummary(**summary_json(e)) for e in page])

    @app.get("/api/entries/{entry_id}", response_model=Entry, responses=NOT_FOUND, tags=["entries"])
    def entry(entry_id: str) -> Any:
        """One entry in full, with its sources."""
        try:
            return kb.get(entry_id)
        except UnknownEntry as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/entries/{entry_id}/similar", response_model=list[SearchResult], responses=NOT_FOUND | ERRORS, tags=["search"])
    def similar(
        entry_id: str,
        k: int = Query(5, ge=1, le=MAX_K),
        type: SearchType = Query("case-study"),
    ) -> list[SearchResult]:
        """Entries most like this one."""
        try:
            return [SearchResult(**r.to_json()) for r in kb.similar(entry_id, k, type)]
        except UnknownEntry as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/taxonomy", response_model=Taxonomy, tags=["entries"])
    def taxonomy() -> Taxonomy:
        """Themes, population groups, care settings and roles."""
        return kb.content.taxonomy

    @app.get("/api/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Ready: the index is loaded."""
        manifest = searcher.manifest
        return Health(status="ok", entries=len(searcher), passages=manifest["passages"], built_at=manifest["built_at"], model=manifest["model"])

    # --- curation: POST /api/submissions (logic in kb/curation.py) ---------------------
    from kb import curation, tokens

    store = curation.SubmissionStore.for_content(kb.root)
    live = curation.LiveContent(kb)
    limiter = curation.RateLimiter(curation.rate_limit_from_env(), state_dir=kb.data_dir / "ratelimit")  # shared by --workers
    bearer = HTTPBearer(auto_error=False, description="A submission token from `kb token create`.")

    def refuse(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.post("/api/submissions", status_code=201, response_model=SubmissionReceipt, responses=SUBMISSION_RESPONSES, tags=["curation"], openapi_extra={"requestBody": ENTRY_BODY})
    async def submit(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Any:
        """Send an entry for review. It is checked exactly as `kb validate` checks a file,
        then kept as a pending submission (never in the content) until a curator approves
        it with `kb review approve`."""
        who = tokens.identify(kb.data_dir, credentials.credentials) if credentials else None
        if who is None:
            return refuse(401, "a valid submission token is required: Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"})
        wait = limiter.check(who)
        if wait is not None:
            return refuse(429, f"too many submissions with this token; try again in {int(wait) + 1} s", {"Retry-After": str(int(wait) + 1)})
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > curation.MAX_BODY_BYTES:
            return refuse(413, f"the body is {declared} bytes; the limit is {curation.MAX_BODY_BYTES}")
        media = curation.media_type(request.headers.get("content-type"))
        if media not in curation.JSON_TYPES | curation.YAML_TYPES:
            return refuse(415, f"send the entry as application/json or application/yaml, not '{media or 'nothing'}'")
        body = bytearray()
        async for chunk in request.stream():  # counted as read: Content-Length can lie or be absent
            body += chunk
            if len(body) > curation.MAX_BODY_BYTES:
                return refuse(413, f"the body is over the limit of {curation.MAX_BODY_BYTES} bytes")
        try:
            # Off the event loop: reading the content, embedding and writing take a while.
            received = await run_in_threadpool(lambda: curation.receive(kb, store, live.get(), bytes(body), media, who, searcher.encoder))
        except EntryInvalid as exc:
            detail = [{"loc": ["body", *_loc(p.field)], "msg": p.message, "type": "value_error", "line": p.line, "column": p.column} for p in exc.problems]
            return JSONResponse({"detail": detail}, status_code=422)
        except (EntryExists, SubmissionExists) as exc:
            return refuse(409, str(exc))
        except OSError:  # the disk failed mid-write: the file was never linked into place
            return refuse(503, "the submission could not be written to disk, so nothing was kept; try again later")
        sub = received.submission
        similar = [SimilarEntryModel(**s.__dict__) for s in received.similar]
        return SubmissionReceipt(
            id=sub.id, type=sub.type, title=sub.title, status="pending", submitted_by=sub.submitted_by, submitted_at=sub.submitted_at,
            similar=similar, warnings=[s.message(f"'{sub.id}'") for s in received.similar],
        )

    # Must stay the last /api route: anything unmatched under /api is a JSON 404.
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    def api_not_found(rest: str) -> JSONResponse:
        return JSONResponse({"detail": f"no API endpoint at /api/{rest}"}, status_code=404)

    if site_dir is not None and site_dir.is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=site_dir, html=True), name="site")
    return app



def app_from_env() -> FastAPI:
    """App factory for `kb serve --workers N`: each worker opens the index itself."""
    import os

    site = os.environ.get("KB_SITE_DIR")
    return create_app(KnowledgeBase.open(), Path(site) if site else None)
