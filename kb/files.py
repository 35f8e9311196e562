"""Writing files so that no reader ever sees half of one.

Text goes to a synced temporary file beside the target, then into place in one step:
``os.replace`` to update a file, ``os.link`` to create one that must not exist yet (it
fails if the name is taken, so racing writers cannot both win). A writer killed midway
leaves at most a hidden ``.*.tmp`` file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from kb.errors import WriteFailed


def _temporary(path: Path, text: str | bytes, mode: int) -> str:
    """A synced temporary copy of ``text`` (or bytes, e.g. a Word file) beside ``path``; :class:`WriteFailed` (the disk
    is full, the folder read-only…) with nothing left behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteFailed(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteFailed(path, exc) from None
        raise
    return tmp


def write_atomic(path: Path, text: str | bytes, mode: int = 0o644) -> None:
    """Create or replace ``path`` with ``text`` (or bytes) all at once."""
    tmp = _temporary(path, text, mode)
    try:
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteFailed(path, exc) from None
        raise


def write_output(path: Path, data: str | bytes) -> None:
    """Write what a command was asked to put in ``path`` (``--out``): a regular file all
    at once (:func:`write_atomic`); a device or a pipe (``/dev/stdout``, a FIFO) written
    to as it is, never replaced by a file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    except OSError as exc:
        raise WriteFailed(path, exc) from None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):  # a folder: write_atomic says it cannot replace it
        write_atomic(path, data)
        return
    try:
        with path.open("wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise WriteFailed(path, exc) from None


def write_new(path: Path, text: str, mode: int = 0o644) -> None:
    """Create ``path`` with ``text`` all at once, or raise :class:`FileExistsError`."""
    tmp = _temporary(path, text, mode)
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteFailed(path, exc) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
