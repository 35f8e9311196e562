"""`kb submit`: send an entry file to a kb server's ``POST /api/submissions``.

Every failure becomes a :class:`SubmitFailed` that says what to do next, or
:class:`EntryInvalid` with the server's located problems shown against the file, so the
sender reads them as `kb validate` would print them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb import documents
from kb.curation.body import JSON_TYPES, MAX_BODY_BYTES
from kb.errors import EntryInvalid, Problem, SubmitFailed

if TYPE_CHECKING:
    import httpx


def submissions_url(api: str) -> str:
    """Accept the server's address, its /api, or the endpoint itself."""
    base = api.rstrip("/")
    if base.endswith("/api/submissions"):
        return base
    return base + ("/submissions" if base.endswith("/api") else "/api/submissions")


def submit_file(path: Path, api: str, token: str, timeout: float = 60.0, transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """Send an entry file to a kb server; the receipt on success."""
    if not token:
        raise SubmitFailed("no token: pass --token TOKEN or set KB_TOKEN (a curator creates one with `kb token create`)")
    kind = "application/json" if path.suffix.lower() == ".json" else "application/yaml"
    body = _read(path, kind)
    response = _post(submissions_url(api), api, body, {"Authorization": f"Bearer {token}", "Content-Type": kind}, timeout, transport)
    return _outcome(response, path)


def _read(path: Path, kind: str) -> bytes:
    """The file's bytes, checked here first: a file the server would refuse is not sent at all."""
    try:
        text = documents.read_text(path)
        documents.load_any(text, json_first=kind in JSON_TYPES)
    except OSError as exc:
        raise SubmitFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    except documents.DocumentError as exc:
        raise EntryInvalid([Problem(str(path), exc.position.line, exc.position.column, exc.message)]) from None
    return text.encode("utf-8")


def _post(url: str, api: str, body: bytes, headers: dict[str, str], timeout: float, transport: httpx.BaseTransport | None) -> httpx.Response:
    import httpx  # only here: the rest of kb never talks to a server

    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            return client.post(url, content=body, headers=headers)
    except httpx.InvalidURL as exc:
        raise SubmitFailed(f"'{api}' is not a server address ({exc}); give one like http://127.0.0.1:8000") from None
    except httpx.TransportError as exc:
        raise SubmitFailed(f"could not reach the kb server at {url}: {exc or type(exc).__name__}; is it running, and is --api right?") from None


def _outcome(response: httpx.Response, path: Path) -> dict[str, Any]:
    """The receipt of a 201; any other answer as the exception that explains it."""
    status = response.status_code
    if status == 201:
        return _receipt(response)
    detail = _detail(response)
    if status == 422 and isinstance(detail, list):
        raise EntryInvalid(_problems(detail, str(path)))
    messages = {
        401: "the server refused the token (unknown or revoked): ask a curator for a new one (`kb token create`)",
        409: f"not sent: {detail}",
        413: f"{path} is too large: the server accepts entries up to {MAX_BODY_BYTES // 1024} KB",
        415: f"the server does not accept this kind of file: send YAML (.yaml) or JSON (.json) ({detail})",
        429: f"too many submissions with this token just now: wait {response.headers.get('retry-after', 'a minute')} s and try again",
    }
    raise SubmitFailed(messages.get(status, f"the server answered HTTP {status}: {detail}"))


def _receipt(response: httpx.Response) -> dict[str, Any]:
    try:
        receipt = response.json()
    except ValueError:
        receipt = None
    if not isinstance(receipt, dict):  # something other than a kb server answered
        raise SubmitFailed(f"the server answered HTTP 201 without a receipt: {response.text[:300]}")
    return receipt


def _detail(response: httpx.Response) -> Any:
    """FastAPI's ``detail`` (a message, or a list of problems); else the start of the text."""
    try:
        answer = response.json()
    except ValueError:
        return response.text[:300]
    return answer.get("detail") if isinstance(answer, dict) else response.text[:300]


def _problems(detail: list[Any], shown: str) -> list[Problem]:
    """The API's 422 problems against the local file; ``loc`` starts with "body"."""
    return [
        Problem(shown, int(d.get("line", 1)), int(d.get("column", 1)), str(d.get("msg", "")), ".".join(str(p) for p in d.get("loc", [])[1:])) for d in detail
    ]
