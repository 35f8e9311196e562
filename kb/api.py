"""The JSON API (FastAPI): a thin door onto :class:`kb.core.KnowledgeBase`.

Every response is a pydantic model, so the OpenAPI spec at ``/api/openapi.json`` is
exact. Every error is JSON: 422 names the parameter and the reason, 404 an unknown id
or path, 500 never shows a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kb.core import KnowledgeBase, summary_json
from kb.entry_types import ENTRY_TYPES
from kb.errors import QueryError, UnknownEntry, UnknownValue
from kb.models import Entry, Taxonomy
from kb.search import MAX_K, MAX_QUERY_CHARS

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


ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody, "description": "Invalid parameter"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such entry"}}


def invalid(field: str, message: str, kind: str = "value_error") -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["query", field], "msg": message, "type": kind}])


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
    app.state.kb = kb

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "internal error"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/api/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    def search(
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
            results = kb.find(q, k, type, mode, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
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

    # Must stay the last /api route: anything unmatched under /api is a JSON 404.
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    def api_not_found(rest: str) -> JSONResponse:
        return JSONResponse({"detail": f"no API endpoint at /api/{rest}"}, status_code=404)

    if site_dir is not None and site_dir.is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=site_dir, html=True), name="site")
    return app

