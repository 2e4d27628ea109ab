"""The theme editor's live preview and uploaded files, on the brand's own host.

`/_theme-preview/<token>` is the brand's home page (and `/_theme-preview/<token>/legal/
<page>` a legal page) rendered in the look of the version the signed token names
(domain.brands.preview): the editor frames it beside its form, so staff see real pages in
a draft before publishing it. Only the admin hosts may frame it; a forged, expired or other
brand's token is a 404. `/theme-assets/<id>.<digest>.<ext>` serves the brand's uploaded
logos and favicons from the database, cached for a year (new content, new name)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.brands import theme_editor
from domain.brands.preview import previewed_version
from domain.kernel import clock
from domain.kernel.db import Database
from web.middleware import FRAMING_BY_CSP_ONLY
from web.site.site import Site
from web.static_assets import IMMUTABLE_CACHE_CONTROL

_ASSET_NAME: Final = re.compile(r"^(?P<id>[1-9][0-9]{0,17})\.(?P<digest>[0-9a-f]{12})\.(png|webp)$")
# Uploaded files are immutable: kept in memory once read (a few small images per brand).
_ASSETS_CACHED_MAX: Final = 64

Handler = Callable[[Request], Awaitable[Response]]


class ThemePreviewRoutes:
    def __init__(self, site: Site, home: Handler, legal: Handler) -> None:
        self.site = site
        self.home = home
        self.legal = legal
        self._assets: dict[tuple[str, int], theme_editor.AssetFile] = {}

    def routes(self) -> list[Route]:
        return [
            Route("/_theme-preview/{token}", self.preview_home, methods=["GET"]),
            Route("/_theme-preview/{token}/legal/{page}", self.preview_legal, methods=["GET"]),
            Route("/theme-assets/{name}", self.asset, methods=["GET"]),
        ]

    async def preview_home(self, request: Request) -> Response:
        return await self._previewed(request, self.home)

    async def preview_legal(self, request: Request) -> Response:
        return await self._previewed(request, self.legal)

    async def _previewed(self, request: Request, handler: Handler) -> Response:
        state = request.scope["state"]
        brand = state["brand"].slug
        version_id = previewed_version(
            self.site.settings.secret_key, request.path_params["token"], brand, clock.now()
        )
        version = None
        if version_id is not None:
            db: Database = state["db"]
            async with db.uow() as uow:
                version = await theme_editor.version(uow, brand, version_id)
        if version is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        state["theme_preview"] = self.site.themes[brand].previewing(version)
        response = await handler(request)
        ancestors = " ".join(
            f"http://{host}:* https://{host}:* https://{host}"
            for host in self.site.settings.admin_hosts
        )
        policy = response.headers.get("content-security-policy", "")
        response.headers["content-security-policy"] = policy.replace(
            "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
        )
        # The CSP alone says who may frame it (X-Frame-Options cannot name hosts).
        state[FRAMING_BY_CSP_ONLY] = True
        # A draft is never cached nor indexed.
        response.headers["cache-control"] = "no-store"
        response.headers["x-robots-tag"] = "noindex"
        return response

    async def asset(self, request: Request) -> Response:
        found = _ASSET_NAME.fullmatch(request.path_params["name"])
        if found is None:
            return Response(status_code=404)
        state = request.scope["state"]
        key = (state["brand"].slug, int(found["id"]))
        asset = self._assets.get(key)
        if asset is None:
            db: Database = state["db"]
            async with db.uow() as uow:
                asset = await theme_editor.asset_file(uow, key[0], key[1])
            if asset is None:
                return Response(status_code=404)
            if len(self._assets) >= _ASSETS_CACHED_MAX:
                self._assets.pop(next(iter(self._assets)))
            self._assets[key] = asset
        if not asset.digest.startswith(found["digest"]):
            return Response(status_code=404)
        return Response(
            asset.content,
            media_type=asset.media_type,
            headers={
                "cache-control": IMMUTABLE_CACHE_CONTROL,
                # An image, never a document: no script runs from it even if opened.
                "content-security-policy": "default-src 'none'; sandbox",
            },
        )
