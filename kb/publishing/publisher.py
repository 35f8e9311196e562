"""The publisher: turns each valid state of the content into what is served.

One publisher runs per host (``kb serve`` starts it as a child process, ``kb publish
--watch`` runs it alone). It looks at the content files twice a second; after a change
has settled (a burst of saves, a ``git pull``), it validates the content and, if it is
clean, refreshes the index incrementally, builds the site into a new folder under
``.kb/sites/`` and only then names both in ``.kb/published.json``. Servers switch when
that file changes, so a reader never meets a half-built site. Content that fails
validation is not published: the problems are logged and counted in the state file,
and the last good version stays live. Builds run one at a time in this one process; the
serving processes never load torch, and once the model is exported to ONNX (the first
build does it) neither does the publisher.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kb.publishing.state import EDITIONS_DIR, PublishState, now, read_state, write_state

if TYPE_CHECKING:
    from kb.core import KnowledgeBase
    from kb.search.encoder import Encoder

log = logging.getLogger("kb.publish")

POLL_SECONDS = 0.25  # how often the content files are looked at (a stat of each)
SETTLE_SECONDS = 0.3  # a change is built once the files have stopped changing this long
KEEP_EDITIONS = 3  # the live one and the two before it: a request that began on one finishes


def _not_content(folder: str, names: list[str]) -> list[str]:
    """What the snapshot leaves out: anything but YAML files and folders (editor swap
    files, a .git folder if content/ is a repository of its own)."""
    return [n for n in names if n.startswith(".") or not (n.endswith(".yaml") or os.path.isdir(os.path.join(folder, n)))]


def content_version(root: Path) -> str:
    """A short hash of every content file's path and bytes: the same content has the same
    version on every host (modification times differ between clones)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


class Stages:
    """How long each stage of a build took, for the log ("check 0.4 s, index 1.2 s, …")."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.times.append((stage, now - self._last))
        self._last = now

    def __str__(self) -> str:
        return ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.times)


@dataclass(frozen=True)
class Outcome:
    """What one publish did: ``state`` is what is served now."""

    published: bool  # a new version went live
    state: PublishState | None
    problems: list[str]
    seconds: float


class Publisher:
    """Publishes the content of ``root`` into ``data_dir``; keeps its encoder between builds."""

    def __init__(self, root: Path, data_dir: Path, model: str | None = None, build_site: bool = True):
        from kb.search.encoder import DEFAULT_MODEL

        self.root = root
        self.data_dir = data_dir
        self.model = model or DEFAULT_MODEL
        self.build_site = build_site
        self.editions = data_dir / EDITIONS_DIR
        self._encoder: Encoder | None = None

    @property
    def encoder(self) -> Encoder:
        """The document encoder, loaded on first need and kept (loading is the slow part):
        the ONNX export once it exists, so a publisher never imports torch after the first
        build; before it, sentence-transformers (that build exports the model)."""
        from kb.search.encoder import OnnxEncoder, document_encoder, exported
        from kb.search.index import onnx_dir

        onnx = onnx_dir(self.data_dir, self.model)
        if self._encoder is None or (not isinstance(self._encoder, OnnxEncoder) and exported(onnx)):
            self._encoder = document_encoder(onnx, self.model)
        return self._encoder

    def publish(self, force: bool = False) -> Outcome:
        """Validate the content and, if it is clean and new, publish it."""
        started = time.perf_counter()
        previous = read_state(self.data_dir)
        version = content_version(self.root)
        if not force and previous is not None and previous.version == version and self._complete(previous):
            unchanged = previous.with_problems([])
            write_state(self.data_dir, unchanged)
            return Outcome(False, unchanged, [], time.perf_counter() - started)
        folder = self._new_edition_folder()
        try:
            state, problems = self._build(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if problems:
            shutil.rmtree(folder, ignore_errors=True)
            for problem in problems:
                log.warning("not published: %s", problem)
            if previous is not None:
                write_state(self.data_dir, previous.with_problems(problems))
            return Outcome(False, read_state(self.data_dir), problems, time.perf_counter() - started)
        assert state is not None
        self._prune(state)
        log.info("published version %s (%d entries) in %.1f s", state.version, state.entries, time.perf_counter() - started)
        return Outcome(True, state, [], time.perf_counter() - started)

    def _complete(self, state: PublishState) -> bool:
        index_ok = (self.data_dir / state.index / "manifest.json").exists()
        return index_ok and state.content_dir(self.data_dir).is_dir() and (not self.build_site or state.site_dir(self.data_dir) is not None)

    def _new_edition_folder(self) -> Path:
        folder = self.editions / f".e-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"  # hidden until complete
        folder.mkdir(parents=True)
        return folder

    def _build(self, folder: Path) -> tuple[PublishState | None, list[str]]:
        """Copy the content, validate the copy, index it and build its site, all in
        ``folder``; then move the folder into place and name it in the state file. The copy
        is what servers read: a file edited after this moment waits for the next version."""
        from kb.content import load_content
        from kb.core import KnowledgeBase
        from kb.search import index

        stages = Stages()
        snapshot = folder / "content"
        shutil.copytree(self.root, snapshot, ignore=_not_content)  # copy2: times kept, so the index's file signature matches the original
        version = content_version(snapshot)
        content, found = load_content(snapshot)
        stages.done("check")
        if found:
            return None, [_as_original(str(p), snapshot, self.root) for p in found]
        index.build(content, self.data_dir, lambda: self.encoder, self.model)  # incremental
        index_dir = index.current_dir(self.data_dir)
        assert index_dir is not None, "a build always leaves a live version"
        stages.done("index")
        if self.build_site:
            self._build_site(KnowledgeBase(snapshot, self.data_dir, self.model, content=content), folder / "site")
            stages.done("site")
        log.info("built version %s: %s", version, stages)
        name = folder.name.lstrip(".")
        os.replace(folder, folder.with_name(name))
        state = PublishState(version, index_dir.name, name, now(), len(content.published()), now())
        write_state(self.data_dir, state)
        return state, []

    def _build_site(self, kb: KnowledgeBase, out: Path) -> None:
        from kb.site import builder

        builder.build(kb, out)

    def _prune(self, state: PublishState) -> None:
        """Remove all but the newest edition folders (the live one among them), and what
        a publisher killed midway left."""
        folders = sorted((p for p in self.editions.glob("e-*") if p.is_dir()), key=lambda p: p.name)
        for old in folders[:-KEEP_EDITIONS]:
            if old.name != state.edition:
                shutil.rmtree(old, ignore_errors=True)
        for partial in self.editions.glob(".e-*"):
            if partial.stat().st_mtime < time.time() - 3600:  # not one being built now
                shutil.rmtree(partial, ignore_errors=True)

    # --- watching ------------------------------------------------------------------------

    def run(self, parent: int | None = None, sync_every: float | None = None) -> None:
        """Watch until SIGTERM or SIGINT, or until ``parent`` (the server) is gone; with
        ``sync_every``, follow the git upstream that often."""
        logging.basicConfig(level=logging.WARNING, format="kb publish: %(message)s")
        log.setLevel(logging.INFO)  # what was published; not mkdocs' and faiss's chatter
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if parent is not None:
            threading.Thread(target=_stop_when_orphaned, args=(parent, stop), daemon=True).start()
        _ = self.encoder  # loaded now, while nothing waits, rather than on the first change
        self.watch(stop, self._sync if sync_every else None, sync_every)

    def _sync(self) -> None:
        from kb.publishing.sync import sync

        synced = sync(self.root)
        if synced.changed:
            log.info("%s", synced.message())

    def watch(self, stop: threading.Event, sync: Callable[[], None] | None = None, sync_every: float | None = None) -> None:
        """Publish every settled change until ``stop`` is set; with ``sync``, call it every
        ``sync_every`` seconds first (a replica following its upstream). Never dies of a
        failed build: it is logged and tried again on the next change."""
        seen: dict[str, list[int]] | None = None
        next_sync = time.monotonic()
        while not stop.is_set():
            if sync is not None and sync_every and time.monotonic() >= next_sync:
                _guarded("sync", sync)
                next_sync = time.monotonic() + sync_every
            signature = self._signature()
            if signature != seen:
                signature = self._settled(signature, stop)
                _guarded("publish", self.publish)
                seen = signature
            stop.wait(POLL_SECONDS)

    def _settled(self, signature: dict[str, list[int]], stop: threading.Event) -> dict[str, list[int]]:
        """Wait until the files stop changing: a burst of changes makes one build."""
        while not stop.wait(SETTLE_SECONDS):
            latest = self._signature()
            if latest == signature:
                break
            signature = latest
        return signature

    def _signature(self) -> dict[str, list[int]]:
        from kb.search.index import content_signature

        try:
            return content_signature(self.root)
        except OSError:  # a file renamed or removed while it was looked at: look again next time
            return {}


def _as_original(problem: str, snapshot: Path, root: Path) -> str:
    """A problem found in the copy, told of the file the curator edits."""
    for copy, original in ((str(snapshot), str(root)), (os.path.relpath(snapshot), os.path.relpath(root))):
        if problem.startswith(copy + os.sep):
            return original + problem[len(copy) :]
    return problem


def _stop_when_orphaned(parent: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:  # the server died without stopping us
            stop.set()


def _guarded(what: str, action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 (a long-running watcher logs and carries on)
        log.error("%s failed: %s: %s", what, type(exc).__name__, exc)
