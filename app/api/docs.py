"""`/docs` (Swagger UI) and `/redoc` (ReDoc) with their assets served by the service
itself, from the copies vendored under app/static/docs/ (VENDORED.md): no CDN, so the
documentation works on a network without Internet access."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(__file__).resolve().parents[1] / "static" / "docs"
ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def install_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Serve /docs, /docs/oauth2-redirect, /redoc and their assets (the app is created
    with `docs_url=None, redoc_url=None`)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    swagger = f"{ASSETS_URL}/swagger-ui"
    favicon = f"{swagger}/favicon-32x32.png"
    swagger_page = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{app.title} – Swagger UI",
        swagger_js_url=f"{swagger}/swagger-ui-bundle.js",
        swagger_css_url=f"{swagger}/swagger-ui.css", swagger_favicon_url=favicon,
        oauth2_redirect_url=OAUTH2_REDIRECT,
        # "Authorize" offers the client-credentials flow of the `oauth2` scheme.
        init_oauth={"scopeSeparator": " "},
    )
    redoc_page = get_redoc_html(
        openapi_url=openapi_url, title=f"{app.title} – ReDoc",
        redoc_js_url=f"{ASSETS_URL}/redoc/redoc.standalone.js", redoc_favicon_url=favicon,
        with_google_fonts=False,
    )
    redirect_page = get_swagger_ui_oauth2_redirect_html()
    # The pages do not change while the app runs: made once, served as they are.
    for path, page in (("/docs", swagger_page), (OAUTH2_REDIRECT, redirect_page),
                       ("/redoc", redoc_page)):
        app.add_api_route(path, _serving(page), methods=["GET"], include_in_schema=False)


def _serving(page: HTMLResponse) -> Callable[[], Awaitable[HTMLResponse]]:
    async def serve() -> HTMLResponse:
        return page

    return serve
