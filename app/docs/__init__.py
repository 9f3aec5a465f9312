"""API documentation served by Ferry itself: Swagger UI from files shipped in the package (no CDN,
so /docs works without internet), with the API key remembered across reloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.docs.openapi import enrich

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/docs/static"

SWAGGER_UI_PARAMETERS = {
    # The key given to Authorize survives a reload of the page.
    "persistAuthorization": True,
    "displayRequestDuration": True,
    # Swagger UI would otherwise send the document to validator.swagger.io for its badge.
    "validatorUrl": None,
}


def install_docs(app: FastAPI) -> None:
    """Routes for /docs and its assets, and the document's extras. Create the app with
    docs_url=None and redoc_url=None; call after install_error_handlers."""
    _enrich_document(app)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon-32x32.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )


def _enrich_document(app: FastAPI) -> None:
    generate = app.openapi
    enriched: dict[str, Any] | None = None

    def openapi() -> dict[str, Any]:
        nonlocal enriched
        if enriched is None:
            enriched = generate()  # FastAPI's (and app/errors'), built once
            enrich(enriched)
        return enriched

    app.openapi = openapi  # type: ignore[method-assign]
