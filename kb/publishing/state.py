"""What is published: one small JSON file that the publisher writes and servers read.

``.kb/published.json`` names the index version and the edition folder being served (a
copy of the content as validated, and the site built from it: ``.kb/editions/<name>/``),
when they were published, and the problems that stop the content's newest state from
being published. Written atomically, so a server reads either the old file or the new one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kb.files import write_atomic

STATE_FILE = "published.json"
EDITIONS_DIR = "editions"  # one folder per published version, beside the index versions
MAX_PROBLEMS_KEPT = 20  # the state file lists the first few; the log has them all


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class PublishState:
    version: str  # content version: the same content gives the same version on every host
    index: str  # index version folder name in the data folder
    edition: str  # folder under editions/: content/ (the content as published) and site/
    published_at: str  # UTC, ISO 8601
    entries: int
    checked_at: str = ""  # when the content was last looked at
    problems: list[str] = field(default_factory=list)  # why the newest content is not published
    pending_problems: int = 0

    def with_problems(self, problems: list[str]) -> PublishState:
        return PublishState(self.version, self.index, self.edition, self.published_at, self.entries, now(), problems[:MAX_PROBLEMS_KEPT], len(problems))

    def content_dir(self, data_dir: Path) -> Path:
        return data_dir / EDITIONS_DIR / self.edition / "content"

    def site_dir(self, data_dir: Path) -> Path | None:
        """The built site, or None if this version was published without one."""
        site = data_dir / EDITIONS_DIR / self.edition / "site"
        return site if (site / "index.html").exists() else None


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def read_state(data_dir: Path) -> PublishState | None:
    """The published state, or None before the first publish (or if the file is damaged:
    the server then keeps what it serves, and the next publish rewrites it)."""
    try:
        data = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
        return PublishState(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_state(data_dir: Path, state: PublishState) -> None:
    write_atomic(state_path(data_dir), json.dumps(asdict(state), indent=2) + "\n")
