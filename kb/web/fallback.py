"""Whatever under /api no endpoint took: a JSON 405 with Allow, or a JSON 404."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send


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
    """405 with Allow when the path exists (Starlette would say so itself, were this
    catch-all not here to keep the site's HTML 404 out of the API), else a JSON 404. An
    ASGI app, not a function, so that Starlette routes every method to it (a function
    endpoint would only be given GET)."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = allowed_methods(self.routes, scope["path"])
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


def install(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """After the last /api route, before the site: every method of every /api path.

    Given the routers: FastAPI may keep an included router's routes inside it rather
    than in ``app.router.routes`` (0.16x does)."""
    routes = [*app.router.routes, *(route for router in routers for route in router.routes)]
    for path in ("/api", "/api/{rest:path}"):
        app.router.routes.append(Route(path, ApiFallback(routes), include_in_schema=False))
