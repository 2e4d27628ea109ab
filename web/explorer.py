"""A self-hosted GraphiQL for development (never mounted in production).

Its JavaScript comes from the npm registry's packages at install time (`stakehouse dev`
runs `npm install` into the data folder), not from a CDN and not from files committed here.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from domain.kernel.settings import Settings
from web.site.assets import npm_install

PACKAGES = ("graphiql@3", "react@18", "react-dom@18", "graphql@16")
ASSETS = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}


def assets_dir(settings: Settings) -> Path:
    return settings.data_dir / "explorer" / "node_modules"


def ensure_assets(settings: Settings) -> bool:
    """Install the explorer's packages from npm once, under the same per-folder lock as the
    site's assets; False (with a log line) when npm is missing or fails — the API works
    regardless."""
    modules = assets_dir(settings)

    def installed() -> bool:
        return all((modules / path).exists() for path in ASSETS.values())

    return installed() or (npm_install(modules.parent, PACKAGES, present=installed) and installed())


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Stakehouse GraphQL explorer — {brand}</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql.css">
<style>html, body, #explorer {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="explorer"></div>
<script src="/graphiql/assets/react.js"></script>
<script src="/graphiql/assets/react-dom.js"></script>
<script src="/graphiql/assets/graphiql.js"></script>
<script nonce="{nonce}">
const fetcher = GraphiQL.createFetcher({{
  url: "/graphql",
  subscriptionUrl: location.origin.replace(/^http/, "ws") + "/graphql",
}});
ReactDOM.createRoot(document.getElementById("explorer")).render(
  React.createElement(GraphiQL, {{ fetcher, defaultEditorToolsVisibility: true }})
);
</script>
</body>
</html>
"""

_MISSING = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Explorer unavailable</title></head>
<body><p>The GraphiQL explorer's packages are not installed. <code>stakehouse dev</code> installs
them with npm (<code>apt-get install npm</code> if it is missing). The API at <code>/graphql</code>
works without them.</p></body></html>"""


def explorer_routes(settings: Settings) -> list[Route]:
    modules = assets_dir(settings)

    async def page(request: Request) -> Response:
        if not all((modules / path).exists() for path in ASSETS.values()):
            return HTMLResponse(_MISSING, status_code=503)
        nonce = secrets.token_urlsafe(16)
        brand = request.scope["state"]["brand"]
        # GraphiQL's stylesheet inlines its fonts (Fira Code, Roboto) and icons as data:
        # URLs: without font-src data: the browser refuses them and falls back.
        csp = (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'"
        )
        return HTMLResponse(
            _PAGE.format(nonce=nonce, brand=brand.name),
            headers={"content-security-policy": csp, "cache-control": "no-store"},
        )

    async def asset(request: Request) -> Response:
        relative = ASSETS.get(request.path_params["name"])
        if relative is None or not (modules / relative).exists():
            return Response(status_code=404)
        return FileResponse(modules / relative, headers={"cache-control": "public, max-age=86400"})

    return [Route("/", page), Route("/assets/{name}", asset)]
