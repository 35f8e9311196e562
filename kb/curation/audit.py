"""The audit log: who submitted, approved and rejected what, and when.

One JSON object per line in ``submissions/audit.jsonl``, appended and never rewritten:
each line is written with one ``write`` to a file opened for appending, so lines from
several server processes never interleave, and then synced. Titles and reasons are kept
as JSON strings, so nothing in them can forge a line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kb.errors import WriteFailed

AUDIT_FILE = "audit.jsonl"


def record(folder: Path, event: str, entry_id: str, by: str, at: str, **details: Any) -> None:
    """Append one event (``submitted``, ``approved``, ``rejected``)."""
    path = folder / AUDIT_FILE
    line = json.dumps({"at": at, "event": event, "id": entry_id, "by": by, **details}, ensure_ascii=False) + "\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise WriteFailed(path, exc) from None


def events(folder: Path) -> list[dict[str, Any]]:
    """Every event, oldest first (a damaged line is skipped: the rest still tell the story)."""
    path = folder / AUDIT_FILE
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            found.append(item)
    return found
