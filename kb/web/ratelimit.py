"""How many submissions one token may send a minute, counted across every worker."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from kb import documents
from kb.errors import KbError

RATE_LIMIT_ENV = "KB_RATE_LIMIT"
DEFAULT_RATE_LIMIT = 30  # submissions per token per minute: ample for people, not for a runaway script


class RateLimiter:
    """At most ``limit`` requests per token in any ``window`` seconds (a sliding window).

    With ``state_dir`` the counts live in one small locked file per token, so the worker
    processes of `kb serve --workers N` share one limit; without it, in memory (tests)."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.time, state_dir: Path | None = None):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.state_dir = state_dir
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, who: str) -> float | None:
        """Record a request by ``who``; None if allowed, else seconds until it would be."""
        with self._lock:
            if self.state_dir is None:
                return self._admit(self._seen.setdefault(who, []))
            return self._check_file(self.state_dir, who)

    def _admit(self, seen: list[float]) -> float | None:
        now = self.clock()
        seen[:] = [t for t in seen if t > now - self.window]
        if len(seen) >= self.limit:
            return max(0.0, seen[0] + self.window - now)
        seen.append(now)
        return None

    def _check_file(self, state_dir: Path, who: str) -> float | None:
        state_dir.mkdir(parents=True, exist_ok=True)
        # A hash, not the token's name, in the path: no name can reach outside state_dir.
        path = state_dir / f"{hashlib.sha256(who.encode()).hexdigest()[:32]}.json"
        with open(path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # read, count and write as one step across workers
            try:
                return self._count_in(handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _count_in(self, handle: IO[str]) -> float | None:
        handle.seek(0)
        seen = self._read_counts(handle.read(documents.STATE_LIMITS.max_bytes + 1))
        wait = self._admit(seen)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(seen))
        return wait

    def _read_counts(self, text: str) -> list[float]:
        """The request times in a count file. A damaged file fails closed: it counts as
        full for one window (then it is written afresh), so damage never lifts the limit."""
        try:
            seen = documents.parse_json(text or "[]")
            return [float(t) for t in seen]
        except (documents.DocumentError, ValueError, TypeError):
            return [self.clock()] * self.limit


def rate_limit_from_env() -> int:
    """``$KB_RATE_LIMIT``, else the default; a wrong value stops the server starting."""
    raw = os.environ.get(RATE_LIMIT_ENV)
    if raw is None or raw == "":
        return DEFAULT_RATE_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if limit < 1:
        raise KbError(f"{RATE_LIMIT_ENV} must be a whole number of submissions per token per minute (1 or more), got '{raw}'")
    return limit
