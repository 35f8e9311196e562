"""The app: the JSON API under /api, a thin door onto :class:`kb.core.KnowledgeBase`, and
the built site at /.

Every response is a pydantic model, so the OpenAPI spec at ``/api/openapi.json`` is
exact, and it is completed from the loaded content when the app is created. Every error
is JSON. Every response, of the API and of the site, carries the security headers
described in SECURITY.md. The parts, each in its module of kb.web: one router per area
(search, entries, submissions, drafts, review, service), what they are given (deps), the error handlers
(errors), the catch-all for /api (fallback), the headers (security), the spec (openapi).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from kb.core import KnowledgeBase
from kb.publishing.state import read_state
from kb.web import brief, drafts, entries, fallback, review, search, service, submissions
from kb.web.deps import Replica, Services
from kb.web.docs import OPENAPI_URL, TITLE
from kb.web.edition import EditionWatcher, PublishedSite
from kb.web.errors import HANDLERS
from kb.web.openapi import complete_spec
from kb.web.security import KbApi

ROUTERS = (search.router, brief.router, entries.router, service.router, submissions.router, drafts.router, review.router)  # in the order the spec lists them


def create_app(kb: KnowledgeBase, site_dir: Path | None = None, *, read_only: bool = False, primary: str | None = None) -> FastAPI:
    """The API under ``/api`` and, if given, the built site at ``/``. ``read_only``: a
    replica, which refuses every write with a 405 naming ``primary`` (its base URL)."""
    if primary is not None and not read_only:
        raise ValueError("a primary is named only by a read-only replica")
    services = Services.load(kb, site_dir)
    watcher = EditionWatcher(services.editions, kb)
    app = KbApi(
        services.editions.policies,
        title=TITLE,
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        exception_handlers=HANDLERS,
        lifespan=_watching(watcher),
    )
    app.state.services = services
    app.state.replica = Replica(primary) if read_only else None
    for router in ROUTERS:
        app.include_router(router)
    fallback.install(app, ROUTERS)  # last of the /api routes
    if services.editions.edition.site_dir is not None or read_state(kb.data_dir) is not None:
        app.mount("/", PublishedSite(services.editions), name="site")
    complete_spec(app.openapi(), kb, services.searcher, app.state.replica)  # FastAPI keeps the spec it returns
    return app


def _watching(watcher: EditionWatcher) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """While the app runs, switch to each version the publisher publishes."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher.check()  # a version published while this process started
        watcher.start()
        try:
            yield
        finally:
            watcher.stop()

    return lifespan


def app_from_env() -> FastAPI:
    """App factory for `kb serve --workers N`: each worker opens the index itself, with
    the settings `kb serve` leaves in the environment for it."""
    site = os.environ.get("KB_SITE_DIR")
    read_only = os.environ.get("KB_READ_ONLY") == "1"
    return create_app(KnowledgeBase.open(), Path(site) if site else None, read_only=read_only, primary=os.environ.get("KB_PRIMARY") or None)
