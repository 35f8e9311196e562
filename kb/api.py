"""The JSON API (FastAPI): a thin door onto :class:`kb.core.KnowledgeBase`.

Every response is a pydantic model, so the OpenAPI spec at ``/api/openapi.json`` is
exact. Every error is JSON: 422 names the parameter and the reason, 404 an unknown id
or path, 405 a method an endpoint does not take (with ``Allow``), 500 never shows a
traceback.

The spec is completed from the loaded content when the app is created: each filter and
each entry id is declared with the values it takes, and the submission body with the
entry models, so that a request the spec allows is a request kb accepts (schemathesis
checks this). Every response, of the API and of the site, carries the security headers
described in SECURITY.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, TypeAdapter
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from kb.batching import QueryBatcher
from kb.core import KnowledgeBase, summary_json
from kb.entry_types import ENTRY_TYPES
from kb.errors import EntryExists, EntryInvalid, Problem, QueryError, SubmissionExists, UnknownEntry, UnknownValue
from kb.models import Entry, Taxonomy
from kb.search.searcher import MAX_K, MAX_QUERY_CHARS, check_query

if TYPE_CHECKING:
    from kb.content import Content

EntryType = Literal["case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma", "framework"]
SearchType = Literal["case-study", "top-tip", "enabler", "barrier", "mdt-characteristic", "dilemma", "framework", "all"]
assert list(EntryType.__args__) == ENTRY_TYPES  # type: ignore[attr-defined]

DOCS_URL = "/api/docs"
OPENAPI_URL = "/api/openapi.json"
FILTERS = ("theme", "enabler", "barrier", "kind")

# --- what text may hold ---------------------------------------------------------------
# The characters kb refuses in documents (CONTRIBUTING.md, "Limits on input"): C0 and C1
# controls but tab and line breaks, DEL, bidirectional embeddings, overrides and isolates,
# non-characters. A query may not hold them either: echoed or shown, they make text
# display other than it reads. Written as regex escapes so that the same text is the
# server's check and the pattern the OpenAPI document declares.
REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff"
# What str.strip()/split() (and pydantic's stripping) remove, less the refused characters.
SPACE = r"\t\n\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
CLEAN_TEXT = f"^[^{REFUSED}]*$"
NONBLANK_TEXT = f"^[^{REFUSED}]*[^{REFUSED}{SPACE}][^{REFUSED}]*$"
REFUSED_CHARACTER = re.compile(f"[{REFUSED}]")

# --- security headers -----------------------------------------------------------------
# The API only ever answers JSON: nothing in it may load, run or be framed.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI (at /api/docs) comes from a CDN, as FastAPI serves it by default.
SWAGGER_JS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_CSS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
SWAGGER_ICON = "https://fastapi.tiangolo.com/img/favicon.png"
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors 'none' for browsers without CSP 2
}
_INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.S | re.I)
_SCRIPT_SRC = re.compile(r"\bsrc\s*=", re.I)
_SCRIPT_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_JS_TYPES = {"text/javascript", "application/javascript", "module"}


class SearchResult(BaseModel):
    id: str
    type: str
    title: str
    organisation: str | None = None
    score: float = Field(description="Fused score (hybrid), cosine (dense) or BM25 score.")
    url: str = Field(description="The entry's page on the learning site, relative to its root.")
    match: str = Field(description="The passage that matched best: why this entry was returned.")
    match_field: str
    match_terms: list[str] = Field(description="Words of the passage that share a stem with the query.")
    summary: str
    dense: float | None = None
    bm25: float | None = None


class SearchResponse(BaseModel):
    query: str
    mode: str
    results: list[SearchResult]


class EntrySummary(BaseModel):
    id: str
    type: str
    title: str
    organisation: str | None = None
    summary: str
    url: str


class EntryPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[EntrySummary]


class Health(BaseModel):
    status: Literal["ok"]
    entries: int
    passages: int
    built_at: str
    model: str


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    detail: list[ErrorItem] | str


class SimilarEntryModel(BaseModel):
    id: str
    type: str
    title: str
    similarity: float = Field(description="Cosine similarity of the two entries' mean passage vectors (warning at 0.89 or more).")


class SubmissionReceipt(BaseModel):
    id: str = Field(description="The submission's id: the entry's id.")
    type: str
    title: str
    status: Literal["pending"] = Field(description="Waiting for a curator (kb review).")
    submitted_by: str = Field(description="The name of the token it was sent with.")
    submitted_at: str = Field(description="When it was stored (UTC, ISO 8601).")
    similar: list[SimilarEntryModel] = Field(description="Existing entries very like it, most similar first.")
    warnings: list[str] = Field(description="One readable warning per similar entry.")


class SubmissionProblem(ErrorItem):
    line: int = Field(description="Line in the submitted text (1 if not known).")
    column: int


class SubmissionErrors(BaseModel):
    detail: list[SubmissionProblem]


class Message(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody, "description": "Invalid parameter"}}
SUBMISSION_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "Missing, unknown or revoked token"},
    409: {"model": Message, "description": "An entry or a pending submission already has this id"},
    413: {"model": Message, "description": "Body over the size limit (CONTRIBUTING.md, 'Limits on input')"},
    415: {"model": Message, "description": "Not JSON or YAML"},
    422: {"model": SubmissionErrors, "description": "Every problem with the entry, each with its field"},
    429: {"model": Message, "description": "Too many submissions with this token; see Retry-After"},
    503: {"model": Message, "description": "Could not be stored (nothing was kept); try again"},
}
BODY_MEDIA_TYPES = ("application/json", "application/yaml", "text/yaml")
ENTRY_BODY: dict[str, Any] = {
    "required": True,
    "description": "One entry, as in a content file (JSON or YAML, within the limits in CONTRIBUTING.md, 'Limits on input').",
    # Completed with the entry models and the content's ids when the app is created.
    "content": {media: {"schema": {"type": "object"}} for media in BODY_MEDIA_TYPES},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such entry"}}
BODY_PREFIX = "Submitted"  # components of the body: apart from the response models of the same name


def invalid(field: str, message: str, kind: str = "value_error") -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["query", field], "msg": message, "type": kind}])


def _loc(field: str) -> list[str | int]:
    """'sources.0.document' -> ['sources', 0, 'document'] (as FastAPI's own errors say it)."""
    return [int(p) if p.isdigit() else p for p in field.split(".") if p] if field else []


def check_text(name: str, value: str) -> None:
    """422 if ``value`` holds a character kb refuses (named by code point, never echoed)."""
    found = REFUSED_CHARACTER.search(value)
    if found is not None:
        raise invalid(name, f"U+{ord(found.group()):04X} is a control or bidirectional formatting character; send plain text")


# --- security headers ------------------------------------------------------------------


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


def swagger_page(title: str) -> str:
    """The /api/docs page, rendered once so its policy can name its inline script."""
    response = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{title} - Swagger UI",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=SWAGGER_ICON,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from validator.swagger.io
    )
    return bytes(response.body).decode("utf-8")


@dataclass(frozen=True)
class Policies:
    """The Content-Security-Policy for each part of the address space."""

    site: str
    docs: str
    api: str = API_POLICY

    def for_path(self, path: str) -> str:
        if path == DOCS_URL:
            return self.docs
        if path == "/api" or path.startswith("/api/"):
            return self.api
        return self.site

    def headers(self, path: str) -> dict[str, str]:
        return {"Content-Security-Policy": self.for_path(path), **COMMON_HEADERS}


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, replacing any the app set."""

    def __init__(self, app: ASGIApp, policies: Policies) -> None:
        self.app = app
        self.policies = policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.policies.headers(scope["path"])

        async def send_with_headers(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class KbApi(FastAPI):
    """FastAPI with the security headers outermost, so that even the 500 which Starlette's
    ServerErrorMiddleware sends (outside any middleware added with add_middleware) has them."""

    def __init__(self, policies: Policies, **options: Any) -> None:
        self.policies = policies
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), self.policies)


# --- unknown paths and methods -----------------------------------------------------------


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> list[str]:
    """The methods the routes serve at ``path`` (none: there is nothing at ``path``)."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")  # answered by ApiFallback as GET without the body
    return sorted(methods)


class ApiFallback:
    """Anything under /api no endpoint took: 405 with Allow when the path exists (Starlette
    would say so itself, were this catch-all not here to keep the site's HTML 404 out of
    the API), else a JSON 404. An ASGI app, not a function, so that Starlette routes every
    method to it (a function endpoint would only be given GET)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = allowed_methods(scope["app"].router.routes, scope["path"])
        if scope["method"] == "HEAD" and "GET" in allowed:
            # HEAD is GET without the body, which the HTTP server leaves out (RFC 9110 9.3.2).
            await scope["app"].router(dict(scope, method="GET"), receive, send)
            return
        if allowed:
            message = f"{scope['method']} is not allowed here; use {' or '.join(allowed)}"
            response = JSONResponse({"detail": message}, status_code=405, headers={"Allow": ", ".join(allowed)})
        else:
            response = JSONResponse({"detail": "no API endpoint here; the endpoints are listed at /api/docs"}, status_code=404)
        await response(scope, receive, send)


# --- the OpenAPI document: what each parameter and the body may be ---------------------


def declare_parameter(spec: dict[str, Any], path: str, name: str, **keywords: Any) -> None:
    """Add JSON Schema ``keywords`` to a parameter of every operation on ``path``. With
    ``enum``, the parameter's schema becomes one string of those values (not "or null":
    a query parameter is either sent or not)."""
    for operation in spec["paths"][path].values():
        for parameter in operation.get("parameters", []):
            if parameter["name"] != name:
                continue
            old = parameter["schema"]
            kept = ("title", "description") if "enum" in keywords else ("title", "description", "minLength", "maxLength")
            parameter["schema"] = {"type": "string", **{k: old[k] for k in kept if k in old}, **keywords}


@dataclass(frozen=True)
class Vocabulary:
    """The ids the content holds, by the entry field that refers to them."""

    references: dict[str, list[str]]
    documents: list[str]

    @classmethod
    def of(cls, content: Content) -> Vocabulary:
        from kb.content import REFERENCE_FIELDS, reference_choices

        return cls({name: sorted(reference_choices(content, target)) for name, target in REFERENCE_FIELDS.items()}, sorted(content.documents))


def entry_body_schema(vocabulary: Vocabulary) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The submission body as JSON Schema, and the components it refers to.

    The entry models' own schema (as for input), tightened with what `kb validate` also
    checks, so that a body the schema allows is one kb accepts: references name existing
    ids, text is not blank and holds no refused character, a source has a page or a section."""
    body = TypeAdapter(Entry).json_schema(mode="validation", ref_template=f"#/components/schemas/{BODY_PREFIX}{{model}}")
    models: dict[str, dict[str, Any]] = body.pop("$defs")
    for name, model in models.items():
        _tighten_model(name, model, vocabulary)
        _tighten_strings(model)
    return body, {BODY_PREFIX + name: model for name, model in models.items()}


def _tighten_model(name: str, model: dict[str, Any], vocabulary: Vocabulary) -> None:
    properties = model.get("properties", {})
    for field_name, ids in vocabulary.references.items():
        if properties.get(field_name, {}).get("type") == "array":
            properties[field_name]["items"] = {"type": "string", "enum": ids}
    if "aliases" in properties:  # EntryBase: "aliases may not be blank"
        properties["aliases"]["items"] = {"type": "string", "pattern": NONBLANK_TEXT}
    if name == "SourceRef":
        properties["document"] = {"type": "string", "enum": vocabulary.documents, "description": properties["document"].get("description", "")}
        # SourceRef's validator: "a source needs a `page` or a `section`"
        model["anyOf"] = [{"required": [key], "properties": {key: {"not": {"type": "null"}}}} for key in ("page", "section")]
    if name == "Metric":  # its validator's rules that JSON Schema cannot state, in words
        rules = [rule for key, rule in (("upper", "`upper` is above `value`"), ("qualifier", "`qualifier` occurs in `as_reported`")) if key in properties]
        if rules:
            model["description"] = model.get("description", "") + " Also: " + "; ".join(rules) + "."


def _tighten_strings(schema: Any) -> None:
    """Every free-text string: no refused characters; not blank where a minimum length
    is set (the models strip whitespace before measuring)."""
    if isinstance(schema, list):
        for item in schema:
            _tighten_strings(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & schema.keys():
        schema["pattern"] = NONBLANK_TEXT if schema.get("minLength", 0) >= 1 else CLEAN_TEXT
    for value in schema.values():
        _tighten_strings(value)


def complete_spec(spec: dict[str, Any], kb: KnowledgeBase, index_vocabulary: dict[str, list[str]], indexed: list[str]) -> None:
    """Declare, from the loaded content, the values each parameter takes and the body."""
    declare_parameter(spec, "/api/search", "q", pattern=NONBLANK_TEXT)
    for name in FILTERS:
        declare_parameter(spec, "/api/search", name, enum=sorted(index_vocabulary[name]))
        declare_parameter(spec, "/api/entries", name, enum=sorted(kb.filter_choices(name)))
    declare_parameter(spec, "/api/entries/{entry_id}", "entry_id", enum=sorted(e.id for e in kb.content.published()))
    declare_parameter(spec, "/api/entries/{entry_id}/similar", "entry_id", enum=sorted(indexed))
    body, models = entry_body_schema(Vocabulary.of(kb.content))
    spec.setdefault("components", {}).setdefault("schemas", {}).update(models)
    for media in spec["paths"]["/api/submissions"]["post"]["requestBody"]["content"].values():
        media["schema"] = body


# --- submissions: a value is of the type the document declares -------------------------


def wrong_types(body: bytes, media: str, content: Content) -> list[Problem]:
    """Values of another JSON type than the OpenAPI document declares, which the entry
    models would convert (0 for a date, "5" for a number, 1 for true): refused, since a
    sender who means a date writes one. With them, the entry's other problems (as
    curation would list them). Empty when there are none, and when the body is wrong in
    other ways: curation says what, and where."""
    from pydantic import ValidationError

    from kb import documents
    from kb.content import pydantic_problems, reference_problems
    from kb.curation import submissions as curation
    from kb.models import ENTRY_MODELS

    try:
        located = documents.load_any(documents.decode(body), json_first=media in curation.JSON_TYPES)
    except documents.DocumentError:
        return []
    kind = located.data.get("type") if isinstance(located.data, dict) else None
    if not isinstance(kind, str) or kind not in ENTRY_MODELS:
        return []
    model = ENTRY_MODELS[kind]
    try:
        text = json.dumps(located.data, default=_as_json)  # YAML's dates as JSON writes them
    except (TypeError, ValueError):  # e.g. a date as a key: no entry has one, curation says so
        return []
    try:
        model.model_validate_json(text, strict=True)
        return []
    except ValidationError as strict:
        try:
            entry = model.model_validate_json(text)
        except ValidationError:
            return []
        return pydantic_problems(strict, model, "submission", located) + reference_problems(entry, content, "submission", located)


def _as_json(value: object) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


# --- the app ------------------------------------------------------------------------------


def create_app(kb: KnowledgeBase, site_dir: Path | None = None) -> FastAPI:
    """The API under ``/api`` and, if given, the built site at ``/``."""
    title = "kb — lessons for redesigning health and care teams"
    serve_site = site_dir is not None and site_dir.is_dir()
    docs_page = swagger_page(title)
    policies = Policies(site=site_policy(site_script_hashes(site_dir) if serve_site and site_dir else []), docs=docs_policy(docs_page))
    app = KbApi(policies, title=title, version="1", docs_url=None, redoc_url=None, openapi_url=OPENAPI_URL)
    _ = kb.content  # validate at start: a content problem stops the server, not a request
    searcher = kb.searcher()  # loaded once; the process is read-only from here
    batcher = QueryBatcher(searcher.encoder)
    app.state.kb = kb

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "internal error"}, status_code=500)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page)

    @app.get("/api/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    async def search(  # async: queries wait together for the batcher, then rank in a few ms
        q: str = Query(..., min_length=1, max_length=MAX_QUERY_CHARS, description="The challenge, in your own words."),
        k: int = Query(5, ge=1, le=MAX_K, description="How many results."),
        type: SearchType = Query("case-study", description="Entry type, or 'all'."),
        theme: str | None = Query(None, max_length=100),
        enabler: str | None = Query(None, max_length=100),
        barrier: str | None = Query(None, max_length=100),
        kind: str | None = Query(None, max_length=100),
        mode: Literal["hybrid", "dense", "bm25"] = Query("hybrid"),
    ) -> SearchResponse:
        """The entries most like the query, each with the passage that matched: the same
        items as `kb find --json`."""
        check_text("q", q)
        try:
            text = check_query(q, k)
            vector = await batcher.embed(text) if mode != "bm25" else None
            results = kb.find(text, k, type, mode, vector=vector, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
        except QueryError as exc:
            raise invalid(exc.field, str(exc)) from None
        except UnknownValue as exc:
            raise invalid(exc.field, str(exc)) from None
        return SearchResponse(query=q, mode=mode, results=[SearchResult(**r.to_json()) for r in results])

    @app.get("/api/entries", response_model=EntryPage, responses=ERRORS, tags=["entries"])
    def entries(
        type: EntryType | None = Query(None),
        theme: str | None = Query(None, max_length=100),
        enabler: str | None = Query(None, max_length=100),
        barrier: str | None = Query(None, max_length=100),
        kind: str | None = Query(None, max_length=100),
        offset: int = Query(0, ge=0, le=1_000_000),
        limit: int = Query(50, ge=1, le=200),
    ) -> EntryPage:
        """Published entries, filtered by type and taxonomy, a page at a time."""
        try:
            chosen = kb.entries(type, theme=theme, enabler=enabler, barrier=barrier, kind=kind)
        except UnknownValue as exc:
            raise invalid(exc.field, str(exc)) from None
        page = chosen[offset : offset + limit]
        return EntryPage(total=len(chosen), offset=offset, limit=limit, items=[EntrySummary(**summary_json(e)) for e in page])

    @app.get("/api/entries/{entry_id}", response_model=Entry, responses=NOT_FOUND, tags=["entries"])
    def entry(entry_id: str) -> Any:
        """One entry in full, with its sources."""
        try:
            return kb.get(entry_id)
        except UnknownEntry as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/entries/{entry_id}/similar", response_model=list[SearchResult], responses=NOT_FOUND | ERRORS, tags=["search"])
    def similar(
        entry_id: str,
        k: int = Query(5, ge=1, le=MAX_K),
        type: SearchType = Query("case-study"),
    ) -> list[SearchResult]:
        """Entries most like this one."""
        try:
            return [SearchResult(**r.to_json()) for r in kb.similar(entry_id, k, type)]
        except UnknownEntry as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None

    @app.get("/api/taxonomy", response_model=Taxonomy, tags=["entries"])
    def taxonomy() -> Taxonomy:
        """Themes, population groups, care settings and roles."""
        return kb.content.taxonomy

    @app.get("/api/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Ready: the index is loaded."""
        manifest = searcher.manifest
        return Health(status="ok", entries=len(searcher), passages=manifest["passages"], built_at=manifest["built_at"], model=manifest["model"])

    # --- curation: POST /api/submissions (logic in kb/curation.py) ---------------------
    from kb.curation import submissions as curation
    from kb.curation import tokens

    store = curation.SubmissionStore.for_content(kb.root)
    live = curation.LiveContent(kb)
    limiter = curation.RateLimiter(curation.rate_limit_from_env(), state_dir=kb.data_dir / "ratelimit")  # shared by --workers
    bearer = HTTPBearer(auto_error=False, description="A submission token from `kb token create`.")

    def accept(body: bytes, media: str, who: str) -> curation.Received:
        content = live.get()
        problems = wrong_types(body, media, content)
        if problems:
            raise EntryInvalid(sorted(problems))
        return curation.receive(kb, store, content, body, media, who, searcher.encoder)

    def refuse(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.post(
        "/api/submissions",
        status_code=201,
        response_model=SubmissionReceipt,
        responses=SUBMISSION_RESPONSES,
        tags=["curation"],
        openapi_extra={"requestBody": ENTRY_BODY},
    )
    async def submit(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Any:
        """Send an entry for review. It is checked as `kb validate` checks a file (and each
        value must be of the JSON type this spec declares: no 0 for a date), then kept as a
        pending submission (never in the content) until a curator approves it with `kb
        review approve`."""
        who = tokens.identify(kb.data_dir, credentials.credentials) if credentials else None
        if who is None:
            return refuse(401, "a valid submission token is required: Authorization: Bearer TOKEN", {"WWW-Authenticate": "Bearer"})
        wait = limiter.check(who)
        if wait is not None:
            return refuse(429, f"too many submissions with this token; try again in {int(wait) + 1} s", {"Retry-After": str(int(wait) + 1)})
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > curation.MAX_BODY_BYTES:
            return refuse(413, f"the body is {declared} bytes; the limit is {curation.MAX_BODY_BYTES}")
        media = curation.media_type(request.headers.get("content-type"))
        if media not in curation.JSON_TYPES | curation.YAML_TYPES:
            return refuse(415, f"send the entry as application/json or application/yaml, not '{media or 'nothing'}'")
        body = bytearray()
        async for chunk in request.stream():  # counted as read: Content-Length can lie or be absent
            body += chunk
            if len(body) > curation.MAX_BODY_BYTES:
                return refuse(413, f"the body is over the limit of {curation.MAX_BODY_BYTES} bytes")
        try:
            # Off the event loop: reading the content, embedding and writing take a while.
            received = await run_in_threadpool(lambda: accept(bytes(body), media, who))
        except EntryInvalid as exc:
            detail = [{"loc": ["body", *_loc(p.field)], "msg": p.message, "type": "value_error", "line": p.line, "column": p.column} for p in exc.problems]
            return JSONResponse({"detail": detail}, status_code=422)
        except (EntryExists, SubmissionExists) as exc:
            return refuse(409, str(exc))
        except OSError:  # the disk failed mid-write: the file was never linked into place
            return refuse(503, "the submission could not be written to disk, so nothing was kept; try again later")
        sub = received.submission
        similar = [SimilarEntryModel(**s.__dict__) for s in received.similar]
        return SubmissionReceipt(
            id=sub.id,
            type=sub.type,
            title=sub.title,
            status="pending",
            submitted_by=sub.submitted_by,
            submitted_at=sub.submitted_at,
            similar=similar,
            warnings=[s.message(f"'{sub.id}'") for s in received.similar],
        )

    # Last of the /api routes, and for every method: what no endpoint took is a JSON 405 or 404.
    for path in ("/api", "/api/{rest:path}"):
        app.router.routes.append(Route(path, ApiFallback(), include_in_schema=False))  # an ASGI app: every method

    if serve_site and site_dir is not None:
        from fastapi.staticfiles import StaticFiles

        # StaticFiles resolves every path and refuses any outside site_dir (symlinks too).
        app.mount("/", StaticFiles(directory=site_dir, html=True), name="site")
    complete_spec(app.openapi(), kb, searcher.manifest["vocabulary"], list(searcher.position))  # FastAPI caches the spec it returns
    return app


def app_from_env() -> FastAPI:
    """App factory for `kb serve --workers N`: each worker opens the index itself."""
    import os

    site = os.environ.get("KB_SITE_DIR")
    return create_app(KnowledgeBase.open(), Path(site) if site else None)
