"""/docs and /redoc reference only the sandbox's own assets, and those assets are served."""

from __future__ import annotations

import re

import httpx
import pytest

from sandbox.web.docs import REDOCLY_LOGO

pytestmark = pytest.mark.anyio
ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_docs_pages_load_nothing_from_another_host(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assets = ASSET.findall(page.text)
    assert "://" not in page.text.replace("http://www.w3.org", ""), "an absolute URL"
    for url in assets:
        assert url.startswith("/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url


async def test_swagger_ui_keeps_the_authorize_flow(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert "/static/docs/swagger-ui-bundle.js" in page
    assert "/static/docs/swagger-ui.css" in page
    assert "oauth2RedirectUrl" in page
    assert "url: '/openapi.json'" in page


async def test_redoc_bundle_is_served_without_the_remote_logo(client: httpx.AsyncClient) -> None:
    bundle = await client.get("/static/docs/redoc.standalone.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert len(bundle.content) > 500_000
    assert REDOCLY_LOGO not in bundle.content


async def test_the_docs_stay_out_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc", "/static"))]
