"""The dev GraphQL explorer: self-hosted, and absent in production."""

from __future__ import annotations

import re
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


# What GraphiQL 3's graphiql.min.css holds, shortened: fonts and icons inlined as data: URLs.
GRAPHIQL_CSS = (
    '@font-face{font-family:"Fira Code";src:url(data:font/woff2;base64,d09GMgABAAAAA) '
    'format("woff2"),url(data:font/woff;base64,d09GRgABAAAAAB) format("woff")}'
    ".graphiql-container .CodeMirror-foldgutter-open{background:url(data:image/png;base64,iVBO)}"
)
_URL = re.compile(r"url\(\s*['\"]?([a-z][a-z0-9+.-]*:)", re.IGNORECASE)


def _allowed(csp: str, directive: str, scheme: str) -> bool:
    """Whether `csp` lets the page load a `scheme` URL of `directive`'s kind (falling back to
    default-src, as browsers do)."""
    policies = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    sources = policies.get(directive, policies.get("default-src", []))
    return scheme in sources


def test_the_explorer_csp_allows_what_its_own_stylesheet_loads(
    registry: BrandRegistry, tmp_path: Path
) -> None:
    for name, relative in ASSETS.items():
        path = tmp_path / "explorer" / "node_modules" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GRAPHIQL_CSS if name == "graphiql.css" else "/* test asset */")
    client = _client(registry, data_dir=tmp_path)

    csp = client.get("/graphiql/").headers["content-security-policy"]
    css = client.get("/graphiql/assets/graphiql.css").text

    font_faces = re.findall(r"@font-face\{[^}]*\}", css)
    font_schemes = {scheme for face in font_faces for scheme in _URL.findall(face)}
    other_schemes = set(_URL.findall(re.sub(r"@font-face\{[^}]*\}", "", css)))
    assert font_schemes == {"data:"} and other_schemes == {"data:"}
    assert all(_allowed(csp, "font-src", scheme) for scheme in font_schemes)
    assert all(_allowed(csp, "img-src", scheme) for scheme in other_schemes)


def test_no_explorer_in_production(registry: BrandRegistry) -> None:
    response = _client(registry, env=Environment.PRODUCTION, secret_key="x" * 32).get("/graphiql/")

    assert response.status_code == 404
