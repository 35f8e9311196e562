"""The security headers on every response, of the API and of the site (SECURITY.md,
"Headers"): a Content-Security-Policy for each part of the address space, built when the
app is created, and the headers every answer carries."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.brief.render_html import style_hash
from kb.web.docs import DOCS_URL, SWAGGER_CSS, SWAGGER_ICON, SWAGGER_JS, docs_page

# The API only ever answers JSON: nothing in it may load, run or be framed.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The brief (GET /api/brief) may be an HTML page: its one <style> element, nothing else.
BRIEF_URL = "/api/brief"
BRIEF_POLICY = f"default-src 'none'; style-src {style_hash()}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors 'none' for browsers without CSP 2
}
_INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.S | re.I)
_SCRIPT_SRC = re.compile(r"\bsrc\s*=", re.I)
_SCRIPT_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_JS_TYPES = {"text/javascript", "application/javascript", "module"}


def inline_script_hashes(page: str) -> set[str]:
    """CSP hashes ('sha256-…') of the inline scripts of an HTML page (not of data blocks
    such as Material's ``<script type="application/json">``, which never run)."""
    hashes = set()
    for script in _INLINE_SCRIPT.finditer(page):
        attrs = script.group("attrs")
        declared = _SCRIPT_TYPE.search(attrs)
        if _SCRIPT_SRC.search(attrs) or (declared and declared.group(1).lower() not in _JS_TYPES):
            continue
        # Browsers hash the text as parsed, and HTML parsing turns CRLF and CR into LF.
        text = script.group("body").replace("\r\n", "\n").replace("\r", "\n")
        hashes.add("sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii"))
    return hashes


def site_script_hashes(site_dir: Path) -> list[str]:
    """Every inline script of the built site, read once when the app is created
    (mkdocs-material pages carry a handful, the same on every page of a depth)."""
    hashes: set[str] = set()
    for page in site_dir.rglob("*.html"):
        hashes |= inline_script_hashes(page.read_text(encoding="utf-8", errors="replace"))
    return sorted(hashes)


def _sources(*sources: str) -> str:
    return " ".join(sources)


def site_policy(script_hashes: Iterable[str]) -> str:
    """The site's own files only, and exactly its own inline scripts."""
    return "; ".join(
        [
            "default-src 'self'",  # scripts, styles, the search worker and index, the finder's API calls
            "script-src " + _sources("'self'", *(f"'{h}'" for h in script_hashes)),
            "img-src 'self' data:",  # Material's icons are data: URIs in its stylesheet
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def docs_policy(page: str) -> str:
    """Swagger UI: its CDN files, its one inline script, and calls to this API."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + _sources(SWAGGER_JS, *(f"'{h}'" for h in sorted(inline_script_hashes(page)))),
            "style-src " + _sources(SWAGGER_CSS, "'unsafe-inline'"),  # Swagger UI styles its widgets inline
            "img-src " + _sources("'self'", "data:", SWAGGER_ICON),
            "connect-src 'self'",  # the spec, and "Try it out"
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


@dataclass(frozen=True)
class Policies:
    """The Content-Security-Policy for each part of the address space."""

    site: str
    docs: str
    api: str = API_POLICY
    brief: str = BRIEF_POLICY

    @classmethod
    def for_app(cls, site_dir: Path | None) -> Policies:
        return cls(site=site_policy(site_script_hashes(site_dir) if site_dir else []), docs=docs_policy(docs_page()))

    def for_path(self, path: str) -> str:
        if path == DOCS_URL:
            return self.docs
        if path == BRIEF_URL:
            return self.brief
        if path == "/api" or path.startswith("/api/"):
            return self.api
        return self.site

    def headers(self, path: str) -> dict[str, str]:
        return {"Content-Security-Policy": self.for_path(path), **COMMON_HEADERS}


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, replacing any the app set."""

    def __init__(self, app: ASGIApp, policies: Callable[[], Policies]) -> None:
        self.app = app
        self.policies = policies  # the served version's: a republished site has new inline scripts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.policies().headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class KbApi(FastAPI):
    """FastAPI with the security headers outermost, so that even the 500 which Starlette's
    ServerErrorMiddleware sends (outside any middleware added with add_middleware) has them."""

    def __init__(self, policies: Callable[[], Policies], **options: Any) -> None:
        self.policies = policies
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.policies)
