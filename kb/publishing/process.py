"""The publisher as a process of its own, beside the server (``kb serve`` starts it).

The serving processes answer readers and never load torch; this process does the
building. It is ``kb publish --watch`` run with the server's folders, and it stops when
the server does (or when the server dies: it watches its parent).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STOP_SECONDS = 10.0


def _command(root: Path, data_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "kb", "publish", "--content", str(root), "--data", str(data_dir), *extra]


def publish_once(root: Path, data_dir: Path) -> int:
    """Publish the content now, in a child process (its output goes to this one's);
    its exit code: 0 published or already current, 1 the content has problems."""
    return subprocess.run(_command(root, data_dir), check=False).returncode


class PublisherProcess:
    """``kb publish --watch`` running beside this process, until :meth:`stop`."""

    def __init__(self, root: Path, data_dir: Path, sync_every: float | None = None):
        extra = ["--watch", "--parent", str(os.getpid())]
        if sync_every:
            extra += ["--sync-every", str(sync_every)]
        self.process = subprocess.Popen(_command(root, data_dir, *extra), stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:  # in the middle of a build that will not stop
            self.process.kill()
            self.process.wait()
