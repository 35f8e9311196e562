"""Helpers the tests share for real servers: a free loopback port, a running `kb serve`."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_responds(url: str, proc: subprocess.Popen[str] | None = None, timeout: float = 180) -> httpx.Response:
    """The first answer from ``url``; fails if ``proc`` dies or nothing answers in time."""
    deadline = time.time() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"the server exited ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}") from None
            assert time.time() < deadline, f"nothing answered at {url}"
            time.sleep(0.3)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@contextmanager
def kb_serve(kb: str, content: Path, data: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A real `kb serve` process on a free loopback port, stopped afterwards."""
    port = free_port()
    command = [kb, "serve", "--port", str(port), "--content", str(content), "--data", str(data), *extra]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(f"{base}/api/health", proc)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def published_site(data: Path) -> Path:
    """The site folder `kb serve` is serving from the data folder ``data``."""
    from kb.publishing.state import read_state

    state = read_state(data)
    assert state is not None, f"nothing published in {data}"
    site = state.site_dir(data)
    assert site is not None
    return site


def call(app: Any, method: str, path: str, *, raise_app_exceptions: bool = True, **kwargs: Any) -> httpx.Response:
    """One request to an ASGI app, in process (httpx's ASGI transport). With
    ``raise_app_exceptions=False`` a 500 is an answer rather than an exception."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://kb.test", timeout=120) as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())
