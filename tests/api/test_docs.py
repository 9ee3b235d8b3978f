"""/docs and /redoc are served with their assets by the service: no external host, so
they work offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.api.docs import ASSETS_DIR

LOCAL_REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')
ANY_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


async def _references(client, page: str) -> list[str]:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    # No absolute URL at all: every script, style sheet and icon comes from the service.
    assert not ANY_URL.search(response.text), ANY_URL.findall(response.text)
    return LOCAL_REFERENCE.findall(response.text)


async def test_swagger_ui_references_no_external_host_and_its_assets_are_served(client):
    references = await _references(client, "/docs")
    assert "/docs/assets/swagger-ui/swagger-ui-bundle.js" in references
    assert "/docs/assets/swagger-ui/swagger-ui.css" in references
    for reference in references:
        asset = await client.get(reference)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 500, reference
    page = (await client.get("/docs")).text
    assert "'/openapi.json'" in page and "/docs/oauth2-redirect" in page


async def test_redoc_references_no_external_host_and_its_bundle_is_served(client):
    references = await _references(client, "/redoc")
    assert "/docs/assets/redoc/redoc.standalone.js" in references
    bundle = await client.get("/docs/assets/redoc/redoc.standalone.js")
    assert bundle.status_code == 200
    assert "javascript" in bundle.headers["content-type"]
    assert 'spec-url="/openapi.json"' in (await client.get("/redoc")).text


async def test_the_oauth2_redirect_page_of_swagger_ui_is_served(client):
    response = await client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert "oauth2" in response.text


def test_vendored_assets_keep_their_pinned_versions_and_licences():
    pinned = (ASSETS_DIR / "VENDORED.md").read_text()
    for directory, package in (("swagger-ui", "swagger-ui-dist"), ("redoc", "redoc")):
        manifest = json.loads((ASSETS_DIR / directory / "package.json").read_text())
        assert manifest["name"] == package
        assert f"`{package}@{manifest['version']}`" in pinned
        assert (ASSETS_DIR / directory / "LICENSE").stat().st_size > 500
    assert Path(ASSETS_DIR / "swagger-ui" / "NOTICE").exists()
