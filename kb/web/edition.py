"""The published version a server is serving, and the switch to the next one.

An :class:`Edition` is everything one published version needs to answer: the content,
its loaded index, its site folder and the site's Content-Security-Policy (the inline
scripts of the new pages are hashed again). Each server process holds one and a
:class:`EditionWatcher` thread replaces it, in one assignment, when the publisher
names a new version in ``.kb/published.json``; a request uses the edition it started
with, and old site folders are kept a while, so no request sees half of a switch.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi.staticfiles import StaticFiles
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from kb.core import KnowledgeBase
from kb.errors import ContentInvalid
from kb.publishing.state import PublishState, read_state, state_path
from kb.search.searcher import Searcher
from kb.web.security import Policies

log = logging.getLogger("kb.serve")

WATCH_SECONDS = 0.25  # how often each server process looks at the state file (one stat)


@dataclass(frozen=True)
class Edition:
    version: str  # '' when serving what was on disk at start, unpublished
    published_at: str
    kb: KnowledgeBase
    searcher: Searcher
    site_dir: Path | None
    policies: Policies

    @classmethod
    def at_start(cls, kb: KnowledgeBase, site_dir: Path | None, state: PublishState | None = None) -> Edition:
        """What ``kb`` has loaded, with the site in ``site_dir``."""
        _ = kb.content  # validated now: a content problem stops the server, not a request
        searcher = kb.searcher()
        site = site_dir if site_dir is not None and site_dir.is_dir() else None
        return cls(state.version if state else "", state.published_at if state else "", kb, searcher, site, Policies.for_app(site))

    @classmethod
    def published(cls, kb: KnowledgeBase, state: PublishState, previous: Edition | None = None) -> Edition:
        """The version ``state`` names; the query encoder is shared with ``previous``."""
        from kb.content import load_content
        from kb.search.version import IndexVersion

        content, problems = load_content(state.content_dir(kb.data_dir))  # the copy the publisher validated
        if problems:  # a damaged copy: keep serving the last good version
            raise ContentInvalid(problems)
        fresh = KnowledgeBase(content.root, kb.data_dir, kb.model, content=content)
        searcher = fresh.use_index(IndexVersion(kb.data_dir / state.index), previous.searcher.encoder if previous else None)
        site = state.site_dir(kb.data_dir)
        policies = Policies.for_app(site) if previous is None or site != previous.site_dir else previous.policies
        return cls(state.version, state.published_at, fresh, searcher, site, policies)

    def names(self, state: PublishState) -> bool:
        return self.version == state.version and self.published_at == state.published_at


class EditionWatcher:
    """A thread that switches ``holder.edition`` to each newly published version."""

    def __init__(self, holder: EditionHolder, kb: KnowledgeBase, interval: float = WATCH_SECONDS):
        self.holder = holder
        self.kb = kb
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: int | None = None

    def start(self) -> None:
        """Start watching (again, after a stop: an app can be started more than once)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kb-edition-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def check(self) -> bool:
        """Switch if a new version was published; True if it switched."""
        try:
            stamp = state_path(self.kb.data_dir).stat().st_mtime_ns
        except OSError:
            return False
        if stamp == self._seen:
            return False
        state = read_state(self.kb.data_dir)
        current = self.holder.edition
        if state is None or current.names(state):
            self._seen = stamp
            return False
        try:
            self.holder.edition = Edition.published(self.kb, state, current)
        except Exception as exc:  # noqa: BLE001 (keep serving the last good version; retried next tick)
            log.warning("still serving version %s: could not load %s: %s: %s", current.version or "(start)", state.version, type(exc).__name__, exc)
            return False
        self._seen = stamp
        log.info("serving version %s", state.version)
        return True


class EditionHolder:
    """Holds the current edition: replaced whole, read whole (one attribute)."""

    def __init__(self, edition: Edition):
        self.edition = edition

    def policies(self) -> Policies:
        return self.edition.policies


class PublishedSite:
    """The site at ``/``: the current edition's folder, each request served from the
    folder it started in. (StaticFiles refuses any path outside its folder, symlinks too.)"""

    def __init__(self, holder: EditionHolder):
        self.holder = holder
        self._apps: dict[Path, StaticFiles] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site = self.holder.edition.site_dir
        if site is None:
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        app = self._apps.get(site)
        if app is None:
            self._apps = {site: StaticFiles(directory=site, html=True)}  # only the live one is kept
            app = self._apps[site]
        await app(scope, receive, send)
