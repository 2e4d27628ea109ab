"""The dev GraphQL explorer: self-hosted, and absent in production."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from domain.brands.service import BrandRegistry
from domain.kernel.settings import Environment, get_settings
from web.app import create_app
from web.explorer import ASSETS


def _client(registry: BrandRegistry, **changes: object) -> TestClient:
    settings = get_settings().model_copy(update=changes)
    # No lifespan: these requests never reach the database.
    return TestClient(create_app(settings, registry), base_url="http://aurora.localhost")


def test_explorer_explains_itself_when_its_packages_are_missing(
    registry: BrandRegistry, tmp_path: Path
) -> None:
    response = _client(registry, data_dir=tmp_path).get("/graphiql/")

    assert response.status_code == 503
    assert "npm" in response.text


def test_explorer_serves_its_page_with_a_nonce_csp(registry: BrandRegistry, tmp_path: Path) -> None:
    for relative in ASSETS.values():
        (tmp_path / "explorer" / "node_modules" / relative).parent.mkdir(
            parents=True, exist_ok=True
        )
        (tmp_path / "explorer" / "node_modules" / relative).write_text("/* test asset */")
    client = _client(registry, data_dir=tmp_path)

    page = client.get("/graphiql/")
    asset = client.get("/graphiql/assets/graphiql.js")

    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page.text
    assert "https://" not in page.text  # nothing from a CDN
    assert asset.text == "/* test asset */"
    assert client.get("/graphiql/assets/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_no_explorer_in_production(registry: BrandRegistry) -> None:
    response = _client(registry, env=Environment.PRODUCTION, secret_key="x" * 32).get("/graphiql/")

    assert response.status_code == 404
