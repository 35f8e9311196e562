"""What the endpoints are given (FastAPI ``Depends``): the knowledge base, its loaded
index and the query batcher, loaded once per app; for a submission, the contributor its
bearer token names, within their rate limit."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.curation.live import LiveContent
from kb.curation.store import SubmissionStore
from kb.publishing.state import read_state
from kb.search.searcher import Searcher
from kb.web.batching import QueryBatcher
from kb.web.edition import Edition, EditionHolder
from kb.web.ratelimit import RateLimiter, rate_limit_from_env


@dataclass(frozen=True)
class Services:
    """What the endpoints share, kept in ``app.state``. Loaded when the app is created:
    a content problem, a missing index or a bad KB_RATE_LIMIT stops the server, not a
    request. ``editions`` holds the published version being served, which the publisher
    replaces while the server runs; the rest stays for the server's life."""

    origin: KnowledgeBase  # the content folder itself: where submissions are checked against and stored
    editions: EditionHolder
    batcher: QueryBatcher
    store: SubmissionStore
    live: LiveContent
    limiter: RateLimiter

    @classmethod
    def load(cls, kb: KnowledgeBase, site_dir: Path | None = None) -> Services:
        first = _first_edition(kb, site_dir)
        limiter = RateLimiter(rate_limit_from_env(), state_dir=kb.data_dir / "ratelimit")  # on disk: shared by --workers
        return cls(kb, EditionHolder(first), QueryBatcher(first.searcher.encoder), SubmissionStore.for_content(kb.root), LiveContent(kb), limiter)

    @property
    def searcher(self) -> Searcher:
        return self.editions.edition.searcher


def _first_edition(kb: KnowledgeBase, site_dir: Path | None) -> Edition:
    """The published version, if the publisher has published one (``kb serve``); else what
    is on disk now, with the site in ``site_dir``."""
    state = read_state(kb.data_dir)
    if state is not None and site_dir is None:
        return Edition.published(kb, state)
    return Edition.at_start(kb, site_dir, state)


# async, though they wait for nothing: FastAPI would run a plain function in a thread.
async def get_services(request: Request) -> Services:
    loaded: Services = request.app.state.services
    return loaded


Shared = Annotated[Services, Depends(get_services)]


async def get_edition(shared: Shared) -> Edition:
    return shared.editions.edition  # read once: a request answers from one version throughout


EditionDep = Annotated[Edition, Depends(get_edition)]


async def get_kb(edition: EditionDep) -> KnowledgeBase:
    return edition.kb


async def get_searcher(edition: EditionDep) -> Searcher:
    return edition.searcher


async def get_batcher(shared: Shared) -> QueryBatcher:
    return shared.batcher


KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_kb)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
BatcherDep = Annotated[QueryBatcher, Depends(get_batcher)]

bearer = HTTPBearer(auto_error=False, description="A submission token from `kb token create`.")


# Plain functions from here: FastAPI runs them in a thread, off the event loop, as they read files.
def token_holder(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)], shared: Shared) -> tokens.TokenRecord:
    """The live token sent (its name and role); 401 without one. The list is read on every
    request, so a revoked token stops working at once."""
    holder = tokens.holder(shared.origin.data_dir, credentials.credentials) if credentials else None
    if holder is None:
        raise HTTPException(401, "a valid submission token is required: Authorization: Bearer TOKEN", headers={"WWW-Authenticate": "Bearer"})
    return holder


Holder = Annotated[tokens.TokenRecord, Depends(token_holder)]


def contributor(holder: Holder) -> str:
    return holder.name


def counted(name: str, shared: Services) -> None:
    """429 with Retry-After past the token's limit (every write counts)."""
    wait = shared.limiter.check(name)
    if wait is not None:
        seconds = int(wait) + 1
        raise HTTPException(429, f"too many requests with this token; try again in {seconds} s", headers={"Retry-After": str(seconds)})


def within_rate_limit(who: Annotated[str, Depends(contributor)], shared: Shared) -> str:
    """The contributor, counted."""
    counted(who, shared)
    return who


Contributor = Annotated[str, Depends(within_rate_limit)]


def reviewer(holder: Holder, shared: Shared) -> str:
    """A reviewer's token, counted; 403 for a contributor's."""
    if holder.role != "reviewer":
        raise HTTPException(403, f"the token '{holder.name}' is a {holder.role}'s; approving and rejecting need a reviewer's token")
    counted(holder.name, shared)
    return holder.name


Reviewer = Annotated[str, Depends(reviewer)]


@dataclass(frozen=True)
class Replica:
    """A read-only server (`kb serve --read-only`): it answers every read and refuses every
    write with a 405 that names the primary, if it was given one (`--primary URL`)."""

    primary: str | None = None

    def refusal(self, what: str, path: str) -> str:
        if self.primary is None:
            return f"this is a read-only replica; it takes no {what}: send them to the primary server"
        return f"this is a read-only replica; send {what} to {self.primary.rstrip('/')}{path}"


def writable(what: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A dependency for a route that writes (``what`` it takes, plural): on a replica, 405
    before anything else (token, body) is looked at. ``Allow`` is empty: on a replica
    the route allows no method (RFC 9110, 10.2.1)."""

    async def refuse_on_a_replica(request: Request) -> None:
        replica: Replica | None = request.app.state.replica
        if replica is not None:
            raise HTTPException(405, replica.refusal(what, request.url.path), headers={"Allow": ""})

    return refuse_on_a_replica
