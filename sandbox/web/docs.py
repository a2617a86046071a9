"""Swagger UI at /docs and ReDoc at /redoc, with every asset served by the sandbox itself.

FastAPI's own docs pages load their scripts from a public CDN, so they are switched off
(``FastAPI(docs_url=None, redoc_url=None)``) and rebuilt here the way FastAPI documents it
(custom docs UI static assets): the same ``get_swagger_ui_html`` / ``get_redoc_html`` pages,
pointed at the Swagger UI and ReDoc bundles that the ``fastapi-offline`` package ships, and at
the sandbox's own favicon. Nothing here is in the OpenAPI document.

One patch: ReDoc's side menu shows a Redocly logo that its bundle loads from Redocly's CDN
whatever the options, so the bundle is served with that URL replaced by an empty inline image.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sandbox.web.pages import DOCS, root_of, with_policy

DOCS_ASSETS = "/static/docs"  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
WEB_ASSETS = "/static/web"  # the sandbox's own: stylesheet, favicon
FAVICON = WEB_ASSETS + "/favicon.svg"


REDOCLY_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
BLANK_IMAGE = (
    b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"
)


def _package_dir(package: str, sub: str) -> Path:
    return Path(str(files(package).joinpath(sub)))


@functools.cache
def _redoc_bundle(path: Path) -> bytes:
    return path.read_bytes().replace(REDOCLY_LOGO, BLANK_IMAGE)


def install(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Mount the assets and add the docs pages (``app`` was built with both URLs ``None``)."""
    openapi_url = app.openapi_url
    assert openapi_url, "the docs pages need the OpenAPI document"
    assets = _package_dir("fastapi_offline", "static")

    async def redoc_bundle(request: Request) -> Response:
        return Response(
            _redoc_bundle(assets / "redoc.standalone.js"),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    # before the mount, which would otherwise answer with the unpatched file
    app.add_route(f"{DOCS_ASSETS}/redoc.standalone.js", redoc_bundle, include_in_schema=False)
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")
    app.mount(
        WEB_ASSETS, StaticFiles(directory=_package_dir("sandbox.web", "static")), name="web-assets"
    )
    redirect_url = app.swagger_ui_oauth2_redirect_url

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = root_of(request)
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=root + FAVICON,
            oauth2_redirect_url=root + redirect_url if redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return with_policy(page, DOCS)

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return with_policy(get_swagger_ui_oauth2_redirect_html(), DOCS)

    async def redoc(request: Request) -> HTMLResponse:
        root = root_of(request)
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=root + FAVICON,
            with_google_fonts=False,
        )
        return with_policy(page, DOCS)

    app.add_route(docs_url, swagger_ui, include_in_schema=False)
    if redirect_url:
        app.add_route(redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(redoc_url, redoc, include_in_schema=False)
