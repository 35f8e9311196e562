"""Live publishing, as a curator and readers feel it: real `kb serve` processes on
loopback, a bare git repository as the upstream, a primary and a replica
(`--read-only --sync-every 1`). Each run sends a submission to the primary's API, approves
it with `kb review approve` (a commit, pushed), and times until the entry, its search
result and its site page are served by the primary, then by the replica. Readers fetch
existing pages from both servers throughout; every error they meet is counted.

    .venv/bin/python bench/bench_publish.py [--entries real|N] [--runs 5] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_site import synthetic_project
from bench.common import KB, ROOT, median

SETUP = ["-c", "user.name=Bench", "-c", "user.email=bench@example.org"]


def git(where: Path, *args: str) -> None:
    subprocess.run(["git", *SETUP, *args], cwd=where, check=True, capture_output=True, timeout=120)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(top: Path, *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    cmd = [KB, "serve", "--port", str(port), "--content", str(top / "content"), "--data", str(top / ".kb"), *extra]
    log = open(top / "serve.log", "w")  # noqa: SIM115 (open while the server runs)
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 1800  # the first publish embeds every entry
    while time.time() < deadline:
        try:
            httpx.get(f"{base}/api/health", timeout=2)
            return base, proc
        except httpx.TransportError:
            time.sleep(0.5)
    raise SystemExit(f"{cmd} did not answer")


class Readers(threading.Thread):
    def __init__(self, bases: list[str], paths: list[str]):
        super().__init__(daemon=True)
        self.bases, self.paths = bases, paths
        self.reads = 0
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        clients = [httpx.Client(base_url=b, timeout=30) for b in self.bases]
        while not self.stop.is_set():
            for client in clients:
                for path in self.paths:
                    try:
                        status = client.get(path).status_code
                        self.reads += 1
                        if status != 200:
                            self.errors.append(f"{client.base_url}{path}: {status}")
                    except httpx.HTTPError as exc:
                        self.errors.append(f"{client.base_url}{path}: {type(exc).__name__}")
                    time.sleep(0.02)  # a busy reader, not a flood: the cores are shared with the publisher


def is_live(base: str, entry_id: str, title: str) -> bool:
    entry = httpx.get(f"{base}/api/entries/{entry_id}", timeout=30).status_code == 200
    page = httpx.get(f"{base}/case-studies/{entry_id}/", timeout=30).status_code == 200
    results = httpx.get(f"{base}/api/search", params={"q": title, "k": 3}, timeout=30).json()["results"]
    return entry and page and entry_id in [r["id"] for r in results]


def wait(check: Callable[[], bool], timeout: float = 300) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            return float("inf")
        time.sleep(0.1)
    return time.monotonic() - start


def project(tmp: Path, entries: str) -> Path:
    seed = tmp / "seed"
    if entries == "real":
        shutil.copytree(ROOT / "content", seed / "content")
    else:
        synthetic_project(seed, int(entries))
    (seed / ".gitignore").write_text(".kb/\nsubmissions/\n")
    upstream = tmp / "upstream.git"
    git(tmp, "init", "--quiet", "--bare", "-b", "main", str(upstream))
    git(seed, "init", "--quiet", "-b", "main")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "Start")
    git(seed, "push", "--quiet", str(upstream), "main")
    for name in ("primary", "replica"):
        git(tmp, "clone", "--quiet", str(upstream), name)
        git(tmp / name, "config", "user.name", f"kb {name}")
        git(tmp / name, "config", "user.email", f"{name}@example.org")
    return upstream


def submission(n: int) -> dict[str, object]:
    return {
        "id": f"bench-live-{n}",
        "type": "case-study",
        "title": f"Pharmacists in ambulance control room number {n}",
        "organisation": "Coastal Ambulance Trust",
        "organisation_kind": "other",
        "summary": f"Clinical pharmacists answered medicines questions from paramedics by phone, run {n}.",
        "approach": "Two pharmacists joined the clinical hub and took calls about medicines on scene.",
        "sources": [{"document": "ncm-workforce-2017", "page": 12}],
        "contributor": "Bench Contributor",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", default="real", help="'real' (the real content) or a number of synthetic case studies")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        project(tmp, args.entries)
        primary, replica = tmp / "primary", tmp / "replica"
        paths = ["--content", str(primary / "content"), "--data", str(primary / ".kb")]
        token = subprocess.run([KB, "token", "create", "--name", "bench", *paths], capture_output=True, text=True, check=True).stdout.split()[-1]
        started = time.monotonic()
        primary_url, primary_proc = serve(primary, "--workers", str(args.workers))
        replica_url, replica_proc = serve(replica, "--read-only", "--primary", primary_url, "--sync-every", "1")
        print(f"both servers up in {time.monotonic() - started:.0f} s (first publish, embedding every entry)")
        existing = next(p.stem for p in sorted((primary / "content" / "case_studies").glob("*.yaml")))
        readers = Readers([primary_url, replica_url], [f"/case-studies/{existing}/", "/", f"/api/entries/{existing}", "/api/search?q=frailty+workforce"])
        readers.start()
        to_primary, to_replica = [], []
        for n in range(args.runs):
            entry = submission(n)
            sent = httpx.post(f"{primary_url}/api/submissions", json=entry, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert sent.status_code == 201, sent.text
            entry_id, title = str(entry["id"]), str(entry["title"])
            start = time.monotonic()
            subprocess.run([KB, "review", "approve", entry_id, "--reviewer", "Bench Curator", *paths], check=True, capture_output=True)
            wait(lambda: is_live(primary_url, entry_id, title))  # noqa: B023 (called before the loop moves on)
            to_primary.append(time.monotonic() - start)
            wait(lambda: is_live(replica_url, entry_id, title))  # noqa: B023
            to_replica.append(time.monotonic() - start)
            print(f"run {n + 1}: live on the primary {to_primary[-1]:.1f} s after approval, on the replica {to_replica[-1]:.1f} s", flush=True)
            time.sleep(1)
        readers.stop.set()
        readers.join()
        stages = [line for line in (primary / "serve.log").read_text().splitlines() if "built version" in line]
        print("\n".join(stages[-args.runs :]))
        publishers = subprocess.run(["pgrep", "-f", f"kb publish --content {primary / 'content'}"], capture_output=True, text=True).stdout.split()
        print(f"\n== live publishing: {args.entries} content, {args.runs} approvals, {args.workers} worker(s) ==")
        print(f"approval -> live on the primary (entry, search, site page): median {median(to_primary):.1f} s, max {max(to_primary):.1f} s")
        print(f"approval -> live on the replica (sync every 1 s): median {median(to_replica):.1f} s, max {max(to_replica):.1f} s")
        print(f"readers: {readers.reads} reads of existing pages on both servers during the runs, {len(readers.errors)} errors {readers.errors[:5]}")
        print(f"memory: serving process {rss_mb(primary_proc.pid):.0f} MB; publisher beside it {', '.join(f'{rss_mb(int(p)):.0f} MB' for p in publishers)}")
        for proc in (primary_proc, replica_proc):
            proc.terminate()
            proc.wait(timeout=60)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
