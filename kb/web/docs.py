"""The API's own documentation: where the OpenAPI document and its Swagger UI page live,
and the page itself (rendered once, so that its Content-Security-Policy can name its
inline script by hash)."""

from __future__ import annotations

from functools import cache

from fastapi.openapi.docs import get_swagger_ui_html

TITLE = "kb — lessons for redesigning health and care teams"
DOCS_URL = "/api/docs"
OPENAPI_URL = "/api/openapi.json"
# Swagger UI comes from a CDN, as FastAPI serves it by default.
SWAGGER_JS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_CSS = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
SWAGGER_ICON = "https://fastapi.tiangolo.com/img/favicon.png"


@cache
def docs_page() -> str:
    """The /api/docs page: the same for every app, since the title is."""
    response = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{TITLE} - Swagger UI",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=SWAGGER_ICON,
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from validator.swagger.io
    )
    return bytes(response.body).decode("utf-8")
