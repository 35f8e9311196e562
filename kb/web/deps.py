"""What the endpoints are given (FastAPI ``Depends``): the knowledge base, its loaded
index and the query batcher, loaded once per app; for a submission, the contributor its
bearer token names, within their rate limit."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kb.core import KnowledgeBase
from kb.curation import tokens
from kb.curation.live import LiveContent
from kb.curation.store import SubmissionStore
from kb.search.searcher import Searcher
from kb.web.batching import QueryBatcher
from kb.web.ratelimit import RateLimiter, rate_limit_from_env


@dataclass(frozen=True)
class Services:
    """What the endpoints share, kept in ``app.state``. Loaded when the app is created:
    a content problem, a missing index or a bad KB_RATE_LIMIT stops the server, not a
    request. Read-only from then on, but for the submissions."""

    kb: KnowledgeBase
    searcher: Searcher
    batcher: QueryBatcher
    store: SubmissionStore
    live: LiveContent
    limiter: RateLimiter

    @classmethod
    def load(cls, kb: KnowledgeBase) -> Services:
        _ = kb.content  # validated now
        searcher = kb.searcher()
        limiter = RateLimiter(rate_limit_from_env(), state_dir=kb.data_dir / "ratelimit")  # on disk: shared by --workers
        return cls(kb, searcher, QueryBatcher(searcher.encoder), SubmissionStore.for_content(kb.root), LiveContent(kb), limiter)


# async, though they wait for nothing: FastAPI would run a plain function in a thread.
async def get_services(request: Request) -> Services:
    loaded: Services = request.app.state.services
    return loaded


Shared = Annotated[Services, Depends(get_services)]


async def get_kb(shared: Shared) -> KnowledgeBase:
    return shared.kb


async def get_searcher(shared: Shared) -> Searcher:
    return shared.searcher


async def get_batcher(shared: Shared) -> QueryBatcher:
    return shared.batcher


KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_kb)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
BatcherDep = Annotated[QueryBatcher, Depends(get_batcher)]

bearer = HTTPBearer(auto_error=False, description="A submission token from `kb token create`.")


# Plain functions from here: FastAPI runs them in a thread, off the event loop, as they read files.
def contributor(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)], shared: Shared) -> str:
    """The name of the live token sent; 401 without one. The list is read on every request,
    so a revoked token stops working at once."""
    who = tokens.identify(shared.kb.data_dir, credentials.credentials) if credentials else None
    if who is None:
        raise HTTPException(401, "a valid submission token is required: Authorization: Bearer TOKEN", headers={"WWW-Authenticate": "Bearer"})
    return who


def within_rate_limit(who: Annotated[str, Depends(contributor)], shared: Shared) -> str:
    """The contributor, counted; 429 with Retry-After past their limit."""
    wait = shared.limiter.check(who)
    if wait is not None:
        seconds = int(wait) + 1
        raise HTTPException(429, f"too many submissions with this token; try again in {seconds} s", headers={"Retry-After": str(seconds)})
    return who


Contributor = Annotated[str, Depends(within_rate_limit)]


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
