"""The service itself: whether it is ready, and its documentation page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from kb.web.deps import SearcherDep
from kb.web.docs import DOCS_URL, docs_page
from kb.web.models import Health

router = APIRouter(tags=["service"])


@router.get("/api/health", response_model=Health)
def health(searcher: SearcherDep) -> Health:
    """Ready: the index is loaded."""
    manifest = searcher.manifest
    return Health(status="ok", entries=len(searcher), passages=manifest["passages"], built_at=manifest["built_at"], model=manifest["model"])


@router.get(DOCS_URL, include_in_schema=False)
def docs() -> HTMLResponse:
    return HTMLResponse(docs_page())
