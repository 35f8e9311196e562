"""What the network should document next: the challenges search had no close answer for.

Each search whose answer holds no close match (``Answer.no_close_match``), from the CLI or
the API, adds one to its query's count in ``gaps.json`` in the data folder. Only the query
text is kept (whitespace collapsed), with the day it was first and last asked and the
best relevance it reached: never who asked, from where, or with which token. A query not
asked for ``KEEP_DAYS`` is forgotten. ``kb gaps`` lists the most frequent; curators read
it as the map of missing case studies. Set ``KB_GAPS=off`` (or pass ``--no-gaps`` to
`kb find` and `kb serve`) to keep nothing.

The file is written whole and atomically under a lock shared by every worker process. A
damaged file is never overwritten (nothing is lost): counting pauses and `kb gaps` says
where it is damaged.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kb.errors import KbError
from kb.files import write_atomic

GAPS_FILE = "gaps.json"
GAPS_ENV = "KB_GAPS"  # "off" (or 0, no, false) keeps nothing
KEEP_DAYS = 90
MAX_QUERIES = 5000  # distinct queries kept; past it the least recently asked go first


class GapsDamaged(KbError):
    """The gaps file cannot be read."""


@dataclass
class Gap:
    query: str
    count: int
    first_seen: str  # YYYY-MM-DD
    last_seen: str
    best_relevance: float  # the highest relevance any result reached when it was last asked

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def enabled_by_env() -> bool:
    return os.environ.get(GAPS_ENV, "").strip().lower() not in ("off", "0", "no", "false")


def _key(query: str) -> str:
    return " ".join(query.split()).lower()


def _read(path: Path) -> dict[str, Gap]:
    """The gaps kept in ``path`` (none if it does not exist); :class:`GapsDamaged` if it is not
    what kb writes."""
    from kb import documents  # here: it imports yaml, which a search that finds a close match never needs

    try:
        data = documents.parse_json(documents.read_text(path, documents.STATE_LIMITS))
    except FileNotFoundError:
        return {}
    except documents.DocumentError as exc:
        raise GapsDamaged(f"{path}:{exc.position.line}:{exc.position.column}: {exc.message}; move it aside to start counting again") from None
    try:
        return {_key(item["query"]): Gap(**item) for item in data["gaps"]}
    except (TypeError, KeyError, AttributeError) as exc:
        raise GapsDamaged(f"{path}: not a gaps file kb wrote ({type(exc).__name__}: {exc}); move it aside to start counting again") from None


def _fresh(gaps: dict[str, Gap], today: dt.date) -> dict[str, Gap]:
    """Without queries not asked for ``KEEP_DAYS``, and at most ``MAX_QUERIES`` of them."""
    oldest = (today - dt.timedelta(days=KEEP_DAYS)).isoformat()
    kept = {k: g for k, g in gaps.items() if g.last_seen >= oldest}
    if len(kept) > MAX_QUERIES:
        newest = sorted(kept.items(), key=lambda item: (item[1].last_seen, item[1].count), reverse=True)[:MAX_QUERIES]
        kept = dict(newest)
    return kept


def record(data_dir: Path, query: str, best_relevance: float, today: dt.date | None = None) -> None:
    """Count one search for ``query`` that found nothing close."""
    day = (today or dt.date.today()).isoformat()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / GAPS_FILE
    with open(data_dir / f".{GAPS_FILE}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # read, count and write as one step across workers
        try:
            gaps = _fresh(_read(path), dt.date.fromisoformat(day))
            text = " ".join(query.split())
            gap = gaps.get(_key(text)) or Gap(text, 0, day, day, 0.0)
            gap.count += 1
            gap.last_seen = day
            gap.best_relevance = round(best_relevance, 4)
            gaps[_key(text)] = gap
            write_atomic(path, json.dumps({"gaps": [g.to_json() for g in gaps.values()]}, ensure_ascii=False))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def most_frequent(data_dir: Path, limit: int = 20, today: dt.date | None = None) -> list[Gap]:
    """The queries most often without a close answer in the last ``KEEP_DAYS`` days."""
    gaps = _fresh(_read(data_dir / GAPS_FILE), today or dt.date.today())
    by_text = sorted(gaps.values(), key=lambda g: g.query)
    return sorted(by_text, key=lambda g: (g.count, g.last_seen), reverse=True)[:limit]
