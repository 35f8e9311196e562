"""Load on the real API: requests/s and p50/p95/p99 for /api/search at 1, 10 and 50
concurrent clients, against a real `kb serve` on loopback (bounded in time or requests).

Uses wrk (Debian package `wrk`; `make bench` installs it) so the load generator costs
little of the two cores; without it, an httpx client. Two query patterns: every query
new (a number appended, so no cached vector helps) and eight queries repeating (as
popular challenges would).

    .venv/bin/python bench/bench_api.py [--quick] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_search import QUERIES
from bench.common import KB, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


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
    return {
        "clients": clients,
        "requests": total,
        "rps": total / elapsed,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "errors": errors,
    }


WRK_SCRIPT = """
local queries = {%s}
local i = 0
request = function()
  i = i + 1
  local q = queries[(i %% #queries) + 1]
  if %s then q = q .. "%%20" .. math.random(1, 1000000) end
  return wrk.format("GET", "/api/search?k=5&q=" .. q)
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %%d %%.1f %%.2f %%.2f %%.2f %%d\\n", summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
"""


def wrk_level(base: str, clients: int, seconds: int, new_queries: bool) -> dict[str, float]:
    from urllib.parse import quote

    script = WRK_SCRIPT % (", ".join(f'"{quote(q)}"' for q in QUERIES), "true" if new_queries else "false")
    with open(ROOT / ".kb" / "bench.lua", "w") as handle:
        handle.write(script)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "-s", str(ROOT / ".kb" / "bench.lua"), base], capture_output=True, text=True, check=True
    ).stdout
    n, rps, p50, p95, p99, errors = next(line for line in out.splitlines() if line.startswith("RESULT")).split()[1:]
    return {
        "clients": clients,
        "requests": int(n),
        "rps": float(rps),
        "p50": float(p50) / 1000,
        "p95": float(p95) / 1000,
        "p99": float(p99) / 1000,
        "errors": int(errors),
    }


def report(r: dict[str, float]) -> str:
    return (
        f"{r['clients']:>3} clients: {r['requests']:>6} requests, {r['rps']:7.1f} req/s, p50 {r['p50'] * 1000:6.1f} ms, "
        f"p95 {r['p95'] * 1000:6.1f} ms, p99 {r['p99'] * 1000:6.1f} ms, errors {r['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="as `make serve` runs it")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [KB, "serve", "--port", str(port), "--workers", str(args.workers)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 600
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if server.poll() is not None or time.time() > deadline:
                    raise SystemExit("kb serve did not start") from None
                time.sleep(0.5)
        asyncio.run(level(base, 4, 50))  # warm up
        print(f"== API load: GET /api/search on loopback, {args.workers} worker(s) (load generator on the same 2 cores) ==")
        if shutil.which("wrk"):
            seconds = 5 if args.quick else 15
            for new in (True, False):
                print(f"wrk, {seconds}s per level, " + ("every query new (no cached vectors):" if new else "8 queries repeating (cached vectors):"))
                for clients in (1, 10, 50):
                    print("  " + report(wrk_level(base, clients, seconds, new)))
        else:
            print("httpx client (install wrk for figures less burdened by the client):")
            plan = [(1, 200), (10, 500), (50, 1000)] if args.quick else [(1, 500), (10, 2000), (50, 3000)]
            for clients, total in plan:
                print("  " + report(asyncio.run(level(base, clients, total))))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
