"""Hostile input against a real `kb serve`: time of each refusal and the server's memory.

Starts `kb serve` on a copy of the test suite's small content folder, sends every hostile
case of tests/test_hostile.py (billion laughs, deep nesting, control characters…) several
times to POST /api/submissions, and prints the median and slowest refusal per case, the
count of server errors, and how much the server's resident memory grew.

    .venv/bin/python bench/bench_hostile.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import KB
from kb.core import KnowledgeBase
from kb.curation import tokens
from tests.conftest import env_with, write_content
from tests.helpers import kb_serve, rss_mb
from tests.test_hostile import HOSTILE, _entry_yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        content = write_content(Path(tmp))
        data = Path(tmp) / ".kb"
        KnowledgeBase.open(content, data).build_index()
        token = tokens.create(data, "attacker")
        with kb_serve(KB, content, data, env=env_with(KB_RATE_LIMIT="100000")) as (base, proc):
            run(base, proc.pid, token, args.rounds)


def run(base: str, pid: int, token: str, rounds: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
        warm = client.post("/api/submissions", content=_entry_yaml().replace("hostile", "warm-up").encode(), headers={"Content-Type": "application/yaml"})
        assert warm.status_code == 201, warm.text
        before = peak = rss_mb(pid)
        times: dict[str, list[float]] = {case.name: [] for case in HOSTILE}
        statuses: list[int] = []
        for _ in range(rounds):
            for case in HOSTILE:
                media = "application/json" if case.json else "application/yaml"
                started = time.perf_counter()
                response = client.post("/api/submissions", content=case.body, headers={"Content-Type": media})
                times[case.name].append(time.perf_counter() - started)
                statuses.append(response.status_code)
                peak = max(peak, rss_mb(pid))
    print(f"hostile cases: {len(HOSTILE)}, requests: {len(statuses)}, server errors (5xx): {sum(s >= 500 for s in statuses)}")
    print(f"{'case':32} {'median':>9} {'slowest':>9}")
    for name, seconds in times.items():
        print(f"{name:32} {statistics.median(seconds) * 1000:7.1f} ms {max(seconds) * 1000:7.1f} ms")
    slowest = max((max(s), n) for n, s in times.items())
    print(f"slowest refusal: {slowest[0] * 1000:.1f} ms ({slowest[1]})")
    print(f"server memory: {before:.0f} MB before, peak {peak:.0f} MB, growth {peak - before:.1f} MB")


if __name__ == "__main__":
    main()
