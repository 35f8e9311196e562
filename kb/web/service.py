"""The service itself: whether it is ready, and its documentation page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from kb.publishing.state import read_state
from kb.web.deps import EditionDep
from kb.web.docs import DOCS_URL, docs_page
from kb.web.models import Health

router = APIRouter(tags=["service"])


@router.get("/api/health", response_model=Health)
def health(edition: EditionDep) -> Health:
    """Ready: the index is loaded. Says which published version is served, and how many
    problems keep newer content from being published."""
    searcher = edition.searcher
    manifest = searcher.manifest
    state = read_state(edition.kb.data_dir)
    return Health(
        status="ok",
        entries=len(searcher),
        passages=manifest["passages"],
        built_at=manifest["built_at"],
        model=manifest["model"],
        index=manifest.get("index", "FlatIP"),
        version=edition.version,
        published_at=edition.published_at,
        pending_problems=state.pending_problems if state else 0,
    )


@router.get(DOCS_URL, include_in_schema=False)
def docs() -> HTMLResponse:
    return HTMLResponse(docs_page())
