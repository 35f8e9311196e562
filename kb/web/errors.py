"""Every error as JSON, mapped from kb's exceptions in one place.

The endpoints raise kb's own exceptions and these handlers answer them: an unknown filter
value or a bad query 422 naming the parameter, an unknown id 404, a submission's problems
422 each with its field and line, a taken id 409, a damaged token store 503, anything
else a 500 without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kb.errors import EntryExists, EntryInvalid, QueryError, SubmissionExists, TokenError, UnknownEntry, UnknownValue

log = logging.getLogger(__name__)


def answer(status: int, detail: object) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def bad_value(_request: Request, exc: UnknownValue | QueryError) -> JSONResponse:
    return answer(422, [{"loc": ["query", exc.field], "msg": str(exc), "type": "value_error"}])


async def unknown_entry(_request: Request, exc: UnknownEntry) -> JSONResponse:
    return answer(404, str(exc))


async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI's own 422 less the input it would echo (huge, or holding characters kb refuses).
    return answer(422, [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()])


def _loc(field: str) -> list[str | int]:
    """'sources.0.document' -> ['sources', 0, 'document'] (as FastAPI's own errors say it)."""
    return [int(p) if p.isdigit() else p for p in field.split(".") if p] if field else []


async def invalid_entry(_request: Request, exc: EntryInvalid) -> JSONResponse:
    return answer(422, [{"loc": ["body", *_loc(p.field)], "msg": p.message, "type": "value_error", "line": p.line, "column": p.column} for p in exc.problems])


async def id_taken(_request: Request, exc: EntryExists | SubmissionExists) -> JSONResponse:
    return answer(409, str(exc))


async def token_store_damaged(_request: Request, exc: TokenError) -> JSONResponse:
    # The only TokenError a request can meet: tokens.json does not parse. The curator
    # must restore it, so the server says why on standard error, and the client whom to tell.
    log.error("submissions refused: %s", exc)
    return answer(503, "the token store is damaged; tell the curator")


async def internal_error(_request: Request, _exc: Exception) -> JSONResponse:
    return answer(500, "internal error")


# Given to FastAPI when the app is made, so each is registered once, for every router.
# Exception is Starlette's last resort (ServerErrorMiddleware, outside the others): the
# client gets a JSON 500, and the traceback still reaches the server's log, not the client.
HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    UnknownValue: bad_value,
    QueryError: bad_value,
    UnknownEntry: unknown_entry,
    RequestValidationError: invalid_request,
    EntryInvalid: invalid_entry,
    EntryExists: id_taken,
    SubmissionExists: id_taken,
    TokenError: token_store_damaged,
    Exception: internal_error,
}
