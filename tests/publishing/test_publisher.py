"""The publisher (kb.publishing): a validated copy, an index and a site per edition, named
in the state file; invalid content never published. Real index builds: marked slow."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from kb.core import KnowledgeBase
from kb.errors import SyncFailed
from kb.publishing.publisher import KEEP_EDITIONS, Publisher, content_version
from kb.publishing.state import EDITIONS_DIR, read_state
from kb.publishing.sync import sync
from tests.conftest import MINI_IDS, new_case_study

pytestmark = pytest.mark.slow


def add_entry(content: Path, entry_id: str) -> Path:
    path = content / "case_studies" / f"{entry_id}.yaml"
    path.write_text(yaml.safe_dump(new_case_study(entry_id, contributor="tests"), sort_keys=False))
    return path


def test_an_edition_is_a_validated_copy_with_its_index_and_site(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    publisher = Publisher(content, data, build_site=True)
    first = publisher.publish()
    assert first.published and first.problems == []
    state = read_state(data)
    assert state is not None and state == first.state
    assert state.version == content_version(content)
    assert sorted(p.name for p in state.content_dir(data).rglob("*.yaml")) == sorted(p.name for p in content.rglob("*.yaml"))
    site = state.site_dir(data)
    assert site is not None and (site / "case-studies" / "navigators" / "index.html").exists()
    assert (data / state.index / "manifest.json").exists()
    # The index of the copy counts as fresh for the content itself: kb find does not rebuild.
    assert KnowledgeBase.open(content, data).index_status() == "fresh"

    again = publisher.publish()
    assert not again.published and again.state is not None
    assert (again.state.version, again.state.edition, again.state.index) == (state.version, state.edition, state.index)

    add_entry(content, "ambulance-pharmacists")
    second = publisher.publish()
    assert second.published and second.state is not None
    assert second.state.version != state.version and second.state.entries == state.entries + 1
    new_site = second.state.site_dir(data)
    assert new_site is not None and (new_site / "case-studies" / "ambulance-pharmacists" / "index.html").exists()
    assert site.exists(), "the previous edition stays for requests that began on it"


def test_invalid_content_is_not_published_and_the_problems_are_kept(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    publisher = Publisher(content, data, build_site=False)
    good = publisher.publish().state
    assert good is not None
    broken = content / "case_studies" / "navigators.yaml"
    broken.write_text(broken.read_text().replace("approach:", "approch:"))
    outcome = publisher.publish()
    assert not outcome.published
    assert outcome.problems and all(p.startswith(f"{content}/case_studies/navigators.yaml:") for p in outcome.problems), outcome.problems
    assert any("unknown key 'approch'" in p for p in outcome.problems)
    state = read_state(data)
    assert state is not None
    assert (state.version, state.index, state.edition) == (good.version, good.index, good.edition), "the last good version stays live"
    assert state.pending_problems == len(outcome.problems) and state.problems == outcome.problems
    assert not list((data / EDITIONS_DIR).glob(".e-*")), "the refused copy is removed"


def test_old_editions_are_pruned_but_the_live_one_and_two_before_it_kept(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    publisher = Publisher(content, data, build_site=False)
    names = []
    for n in range(KEEP_EDITIONS + 2):
        add_entry(content, f"entry-{n}")
        state = publisher.publish().state
        assert state is not None
        names.append(state.edition)
    assert sorted(p.name for p in (data / EDITIONS_DIR).iterdir()) == names[-KEEP_EDITIONS:]


# --- sync ---------------------------------------------------------------------------------


def git(where: Path, *args: str) -> str:
    setup = ["-c", "user.name=Setup", "-c", "user.email=setup@example.org"]
    done = subprocess.run(["git", *setup, *args], cwd=where, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def clones(mini_content: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A bare upstream holding the mini content, and two clones of it: (writer, replica)."""
    upstream = tmp_path / "upstream.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(upstream))
    top = mini_content.parent
    git(top, "init", "--quiet", "-b", "main")
    git(top, "add", "content")
    git(top, "commit", "--quiet", "-m", "Start")
    git(top, "push", "--quiet", str(upstream), "main")
    git(tmp_path, "clone", "--quiet", str(upstream), "replica")
    git(top, "remote", "add", "origin", str(upstream))
    git(top, "fetch", "--quiet", "origin")
    git(top, "branch", "--quiet", "--set-upstream-to=origin/main")
    return top, tmp_path / "replica"


def test_sync_fast_forwards_to_the_upstream(clones: tuple[Path, Path]) -> None:
    writer, replica = clones
    assert not sync(replica / "content").changed
    add_entry(writer / "content", "ambulance-pharmacists")
    git(writer, "add", "content")
    git(writer, "commit", "--quiet", "-m", "Publish")
    git(writer, "push", "--quiet")
    synced = sync(replica / "content")
    assert synced.changed and synced.after == git(writer, "rev-parse", "HEAD")
    assert (replica / "content" / "case_studies" / "ambulance-pharmacists.yaml").exists()
    assert "fast-forwarded" in synced.message()


def test_sync_never_merges_local_work_and_changes_nothing(clones: tuple[Path, Path]) -> None:
    writer, replica = clones
    add_entry(replica / "content", "local-only")
    git(replica, "add", "content")
    git(replica, "commit", "--quiet", "-m", "A replica should not have this")
    add_entry(writer / "content", "ambulance-pharmacists")
    git(writer, "add", "content")
    git(writer, "commit", "--quiet", "-m", "Publish")
    git(writer, "push", "--quiet")
    before = git(replica, "rev-parse", "HEAD")
    with pytest.raises(SyncFailed, match="cannot fast-forward to origin main: this copy has commits or edits of its own"):
        sync(replica / "content")
    assert git(replica, "rev-parse", "HEAD") == before
    assert not (replica / "content" / "case_studies" / "ambulance-pharmacists.yaml").exists()


def test_sync_outside_git_or_without_upstream_says_what_to_do(mini_content: Path, tmp_path: Path) -> None:
    with pytest.raises(SyncFailed, match="not in a git work tree"):
        sync(mini_content)
    git(mini_content.parent, "init", "--quiet", "-b", "main")
    with pytest.raises(SyncFailed, match="has no upstream to follow"):
        sync(mini_content)


def test_the_state_file_is_plain_json(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    Publisher(content, data, build_site=False).publish()
    state = json.loads((data / "published.json").read_text())
    assert set(state) == {"version", "index", "edition", "published_at", "entries", "checked_at", "problems", "pending_problems"}


def test_a_burst_of_changes_is_published_once_and_builds_never_overlap(fresh_mini: tuple[Path, Path]) -> None:
    import threading
    import time

    content, data = fresh_mini
    publisher = Publisher(content, data, build_site=False)
    first = publisher.publish().state
    assert first is not None
    published: list[str] = []
    running = threading.Lock()
    inner = publisher.publish

    def counted(force: bool = False):  # type: ignore[no-untyped-def]
        assert running.acquire(blocking=False), "two builds at once"
        try:
            outcome = inner(force)
            if outcome.published and outcome.state is not None:
                published.append(outcome.state.version)
            return outcome
        finally:
            running.release()

    publisher.publish = counted  # type: ignore[method-assign]
    stop = threading.Event()
    watcher = threading.Thread(target=publisher.watch, args=(stop,), daemon=True)
    watcher.start()
    time.sleep(1.5)  # the first look: already published, nothing built
    for n in range(6):  # a burst, as a git pull of several commits writes it
        add_entry(content, f"burst-{n}")
        time.sleep(0.05)
    deadline = time.monotonic() + 120
    while not published and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # anything else it was going to build
    stop.set()
    watcher.join(timeout=60)
    assert len(published) == 1, published
    state = read_state(data)
    assert state is not None and state.entries == first.entries + 6


def test_once_the_model_is_exported_the_publisher_embeds_without_torch(fresh_mini: tuple[Path, Path]) -> None:
    """The publisher holds the ONNX export, not torch and the model (~850 MB), once the
    first build has exported it: a new entry is embedded and published without torch."""
    import sys

    content, data = fresh_mini
    add_entry(content, "ambulance-pharmacists")
    script = (
        "import sys; from pathlib import Path; from kb.publishing.publisher import Publisher; "
        f"out = Publisher(Path({str(content)!r}), Path({str(data)!r}), build_site=False).publish(); "
        f"assert out.published and out.state.entries == {len(MINI_IDS) + 1}, out; "
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    searcher = KnowledgeBase.open(content, data).searcher()
    assert searcher.search("pharmacists answering paramedics' medicines questions", k=1)[0].id == "ambulance-pharmacists"
