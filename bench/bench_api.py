"""Load on the real API: requests/s and p50/p95/p99 for /api/search at 1, 10 and 50
concurrent clients, against a real `kb serve` on loopback (bounded: a fixed number of
requests per level).

    .venv/bin/python bench/bench_api.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import KB, ROOT  # noqa: E402
from bench.bench_search import QUERIES  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def level(base: str, clients: int, total: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                start = time.perf_counter()
                try:
                    response = await client.get("/api/search", params={"q": QUERIES[i % len(QUERIES)], "k": 5})
                    ok = response.status_code == 200 and response.json()["results"]
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {"clients": clients, "requests": total, "rps": total / elapsed, "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([KB, "serve", "--port", str(port)], cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 600
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if server.poll() is not None or time.time() > deadline:
                    raise SystemExit("kb serve did not start")
                time.sleep(0.5)
        asyncio.run(level(base, 4, 50))  # warm up
        print("== API load: GET /api/search on loopback (load generator on the same 2 cores) ==")
        plan = [(1, 200), (10, 500), (50, 1000)] if args.quick else [(1, 500), (10, 2000), (50, 3000)]
        for clients, total in plan:
            r = asyncio.run(level(base, clients, total))
            print(f"{clients:>3} clients: {r['requests']:>5} requests, {r['rps']:7.1f} req/s, p50 {r['p50'] * 1000:6.1f} ms, "
                  f"p95 {r['p95'] * 1000:6.1f} ms, p99 {r['p99'] * 1000:6.1f} ms, errors {r['errors']}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
