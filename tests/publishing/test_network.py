"""A network on loopback, with real processes: a bare repository as the upstream, a
primary `kb serve` and a read-only replica `kb serve --sync-every 1`. A submission
approved on the primary goes live on both without a restart, while a reader of existing
pages sees no error; an invalid hand edit is not published and is reported."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import KB, _restamp, new_case_study
from tests.helpers import kb_serve, rss_mb

pytestmark = pytest.mark.slow

NEW = "ambulance-pharmacists"
CONTRIBUTOR = "Dr Jane Contributor"
LIVE_WITHIN = 60.0  # seconds: generous for a loaded CI machine; the bench measures the real figure


def git(where: Path, *args: str) -> str:
    setup = ["-c", "user.name=Setup", "-c", "user.email=setup@example.org"]
    done = subprocess.run(["git", *setup, *args], cwd=where, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def kb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KB, *args], capture_output=True, text=True, check=False, timeout=300)


@pytest.fixture
def network(built_mini: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The mini project pushed to a bare upstream and cloned twice, each clone with a copy
    of the built index (so only changed entries are embedded)."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))  # no identity but the host's own
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    content, data = built_mini
    seed = tmp_path / "seed"
    shutil.copytree(content, seed / "content")
    (seed / ".gitignore").write_text(".kb/\nsubmissions/\n")
    upstream = tmp_path / "upstream.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(upstream))
    git(seed, "init", "--quiet", "-b", "main")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "Start")
    git(seed, "push", "--quiet", str(upstream), "main")
    places = {"upstream": upstream}
    for name in ("primary", "replica"):
        git(tmp_path, "clone", "--quiet", str(upstream), name)
        git(tmp_path / name, "config", "user.name", f"kb {name} host")
        git(tmp_path / name, "config", "user.email", f"{name}@example.org")
        shutil.copytree(data, tmp_path / name / ".kb", ignore=shutil.ignore_patterns("onnx"))
        (tmp_path / name / ".kb" / "onnx").symlink_to(data / "onnx")
        _restamp(tmp_path / name / "content", tmp_path / name / ".kb")
        places[name] = tmp_path / name
    return places


class Reader(threading.Thread):
    """Reads existing pages and answers over and over; keeps every failure."""

    def __init__(self, base: str):
        super().__init__(daemon=True)
        self.paths = ["/case-studies/dementia-outreach/", "/", "/api/entries/dementia-outreach", "/api/search?q=dementia+care+homes"]
        self.base = base
        self.failures: list[str] = []
        self.reads = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                for path in self.paths:
                    try:
                        status = client.get(path).status_code
                    except httpx.HTTPError as exc:
                        self.failures.append(f"{path}: {type(exc).__name__}")
                        continue
                    self.reads += 1
                    if status != 200:
                        self.failures.append(f"{path}: {status}")


def live(base: str, entry_id: str) -> bool:
    """The entry, its search result and its site page are all served."""
    entry = httpx.get(f"{base}/api/entries/{entry_id}", timeout=10)
    page = httpx.get(f"{base}/case-studies/{entry_id}/", timeout=10)
    found = httpx.get(f"{base}/api/search", params={"q": "pharmacists in the ambulance control room", "k": 1}, timeout=30).json()
    return entry.status_code == 200 and page.status_code == 200 and found["results"][0]["id"] == entry_id


def wait_for(check: object, what: str, timeout: float = LIVE_WITHIN) -> float:
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < timeout, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.25)
    return time.monotonic() - started


@pytest.fixture
def servers(network: dict[str, Path]) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    primary, replica = network["primary"], network["replica"]
    with kb_serve(KB, primary / "content", primary / ".kb") as (primary_url, proc):
        extra = ("--read-only", "--primary", primary_url, "--sync-every", "1")
        with kb_serve(KB, replica / "content", replica / ".kb", *extra) as (replica_url, _):
            yield primary_url, replica_url, proc


def test_an_approval_goes_live_on_the_primary_and_the_replica_without_a_restart(
    network: dict[str, Path], servers: tuple[str, str, subprocess.Popen[str]]
) -> None:
    primary_url, replica_url, primary_proc = servers
    primary = network["primary"]
    paths = ("--content", str(primary / "content"), "--data", str(primary / ".kb"))
    token = kb("token", "create", "--name", "royal-college", *paths).stdout.strip().splitlines()[-1]
    entry = {k: v for k, v in new_case_study(NEW, contributor=CONTRIBUTOR).items() if k not in {"status", "added"}}
    sent = httpx.post(f"{primary_url}/api/submissions", json=entry, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert sent.status_code == 201, sent.text
    refused = httpx.post(f"{replica_url}/api/submissions", json=entry, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert refused.status_code == 405 and primary_url in refused.json()["detail"]
    assert httpx.get(f"{primary_url}/api/entries/{NEW}").status_code == 404

    readers = [Reader(primary_url), Reader(replica_url)]
    for reader in readers:
        reader.start()
    started = time.monotonic()
    approved = kb("review", "approve", NEW, "--reviewer", "Ann Curator", *paths)
    assert approved.returncode == 0, approved.stderr
    wait_for(lambda: live(primary_url, NEW), "the approved entry live on the primary")
    on_primary = time.monotonic() - started
    on_replica = wait_for(lambda: live(replica_url, NEW), "the approved entry live on the replica")
    for reader in readers:
        reader.stop.set()
        reader.join(timeout=30)
        assert reader.reads > 0 and reader.failures == [], reader.failures
    print(f"live on the primary after {on_primary:.1f} s, on the replica {on_replica:.1f} s later")

    # The approval is a commit by the contributor, and it reached the upstream.
    log = git(network["upstream"], "log", "-1", "--format=%an|%cn|%s|%b", "main")
    author, committer, subject, body = log.split("|", 3)
    assert author == CONTRIBUTOR and committer == "kb primary host"
    assert subject == f"Publish case-study {NEW}: Pharmacists in the ambulance control room"
    assert "Reviewed-by: Ann Curator" in body
    health = httpx.get(f"{replica_url}/api/health").json()
    assert health["version"] == httpx.get(f"{primary_url}/api/health").json()["version"] and health["pending_problems"] == 0
    # The serving process holds the index, not torch: the publisher beside it does the building.
    assert rss_mb(primary_proc.pid) < 600


def test_an_invalid_hand_edit_is_not_published_and_is_reported(network: dict[str, Path], servers: tuple[str, str, subprocess.Popen[str]]) -> None:
    primary_url, _, _ = servers
    before = httpx.get(f"{primary_url}/api/health").json()
    assert before["pending_problems"] == 0 and before["version"]
    path = network["primary"] / "content" / "case_studies" / "navigators.yaml"
    path.write_text(path.read_text().replace("title:", "titel:"))
    wait_for(lambda: httpx.get(f"{primary_url}/api/health").json()["pending_problems"] > 0, "the problem reported in /api/health")
    after = httpx.get(f"{primary_url}/api/health").json()
    assert after["version"] == before["version"] and after["published_at"] == before["published_at"]
    assert httpx.get(f"{primary_url}/api/entries/navigators").json()["title"] == "Voluntary sector care navigators"
    assert httpx.get(f"{primary_url}/case-studies/navigators/").status_code == 200
    state = json.loads((network["primary"] / ".kb" / "published.json").read_text())
    assert any("navigators.yaml" in p and "titel" in p for p in state["problems"])

    path.write_text(path.read_text().replace("titel:", "title:"))  # fixed: published again, problems cleared
    wait_for(lambda: httpx.get(f"{primary_url}/api/health").json()["pending_problems"] == 0, "the fix noticed")


def test_every_worker_switches_to_a_hand_added_entry(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    with kb_serve(KB, content, data, "--workers", "2") as (base, proc):
        path = content / "case_studies" / f"{NEW}.yaml"
        path.write_text(json.dumps(new_case_study(NEW, contributor="tests")))  # JSON is YAML
        wait_for(lambda: httpx.get(f"{base}/api/entries/{NEW}").status_code == 200, "the new entry served")
        # Each request on a new connection: the two workers take turns at the socket.
        answers = [httpx.get(f"{base}/api/entries/{NEW}", headers={"Connection": "close"}).status_code for _ in range(40)]
        assert answers == [200] * 40
        workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        serving = [int(pid) for pid in workers if "publish" not in Path(f"/proc/{pid}/cmdline").read_text()]
        assert serving and all(rss_mb(pid) < 600 for pid in serving), [rss_mb(pid) for pid in serving]
        path.unlink()
        wait_for(lambda: all(httpx.get(f"{base}/api/entries/{NEW}", headers={"Connection": "close"}).status_code == 404 for _ in range(10)), "removal seen")


def test_serve_refuses_to_start_on_invalid_content_it_never_published(fresh_mini: tuple[Path, Path]) -> None:
    content, data = fresh_mini
    path = content / "case_studies" / "navigators.yaml"
    path.write_text(path.read_text().replace("title:", "titel:"))
    done = subprocess.run([KB, "serve", "--port", "9", "--content", str(content), "--data", str(data)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "navigators.yaml" in done.stderr and "titel" in done.stderr and "not published" in done.stderr
