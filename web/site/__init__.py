"""The white-label website: server-rendered pages per brand, enhanced with htmx.

`site_routes` is mounted by web.app on every brand host. Pages read and write only through
named GraphQL documents executed in process (web.site.client); themes are data under
`themes/` (web.site.themes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry.schema.base import BaseSchema

from domain.brands.service import BrandRegistry
from domain.kernel.settings import Environment, Settings
from web.site import assets
from web.site.account import AccountPages
from web.site.bonuses import BonusPages
from web.site.casino import CasinoPages
from web.site.connected import ConnectedLoginPages
from web.site.inbox import InboxPages
from web.site.marketing import MarketingPages
from web.site.pages import PublicPages, SignInPages
from web.site.protection import PlayerProtectionPages
from web.site.recovery import RecoveryPages
from web.site.responsible import ResponsibleGamblingPages
from web.site.rewards import RewardsPage
from web.site.site import Site
from web.site.sports import SportsPages
from web.site.support import SupportPages
from web.site.theme_preview import ThemePreviewRoutes
from web.site.themes import file_digest, load_site_themes, split_fingerprint
from web.site.verification import VerificationPages
from web.static_assets import STATIC_CACHE_CONTROL, static_file

Endpoint = Callable[[Request], Awaitable[Response]]
# Pages, styles and scripts go out gzip-compressed to a browser that accepts it (the live
# streams are never compressed: GZipMiddleware leaves text/event-stream alone). Level 5:
# most of the saving for a fraction of level 9's time on a page.
GZIP_MINIMUM_BYTES: Final = 1024
GZIP_LEVEL: Final = 5
GZIP: Final = Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)


def _brand_hosts_only(registry: BrandRegistry, endpoint: Endpoint) -> Endpoint:
    """Pages belong to a brand's own host, not to an API host naming a brand by header."""

    async def guarded(request: Request) -> Response:
        if registry.for_host(request.headers.get("host", "")) is None:
            return PlainTextResponse("Not found", status_code=404)
        return await endpoint(request)

    return guarded


def _static_routes(site: Site, settings: Settings) -> list[Route]:
    modules = assets.modules_dir(settings)

    async def theme_css(request: Request) -> Response:
        css = site.theme(request).css()
        etag = '"' + hashlib.sha256(css.encode()).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"etag": etag})
        return PlainTextResponse(
            css,
            media_type="text/css",
            headers={"etag": etag, "cache-control": STATIC_CACHE_CONTROL},
        )

    async def vendor(request: Request) -> Response:
        name, digest = split_fingerprint(request.path_params["name"])
        relative = assets.VENDOR_FILES.get(name)
        if relative is None or not (modules / relative).is_file():
            return Response(status_code=404)
        path = modules / relative
        return static_file(
            path, media_type="text/javascript", immutable=digest == file_digest(path)
        )

    async def static(request: Request) -> Response:
        # `logo.<digest>.svg` is logo.svg; cached for a year when the digest is its
        # content's (an older page's stale name still gets the file, for an hour).
        relative, digest = split_fingerprint(request.path_params["path"])
        path: Path | None = site.theme(request).static_file(relative)
        if path is None:
            return Response(status_code=404)
        return static_file(path, immutable=digest is not None and digest == file_digest(path))

    async def manifest(request: Request) -> Response:
        """The brand's web app manifest: its name, colours and icon, so a phone can keep
        the site on its home screen in the brand's look."""
        theme = site.theme(request)
        colours = theme.published_colours or theme.brand.tokens.colour
        body = {
            "name": theme.brand.name,
            "short_name": theme.brand.name.split()[0],
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": colours.background,
            "theme_color": colours.surface,
            "icons": [
                {
                    "src": theme.asset_path("favicon"),
                    "sizes": "any",
                    "type": theme.asset_type("favicon"),
                }
            ],
        }
        return JSONResponse(
            body,
            media_type="application/manifest+json",
            headers={"cache-control": STATIC_CACHE_CONTROL},
        )

    return [
        Route("/manifest.webmanifest", manifest, methods=["GET"]),
        Route("/static/theme.css", theme_css, methods=["GET"]),
        Route("/static/vendor/{name}", vendor, methods=["GET"]),
        Route("/static/{path:path}", static, methods=["GET"]),
    ]


def build_site(settings: Settings, schema: BaseSchema, registry: BrandRegistry) -> Site:
    """The site's shared state. Errors: InvalidTheme (a theme's files are missing or
    broken), so the app refuses to start rather than serve a broken brand."""
    themes = load_site_themes(
        registry, settings.themes_dir, auto_reload=settings.env is Environment.DEV
    )
    return Site(settings, schema, themes)


def site_routes(site: Site, settings: Settings, registry: BrandRegistry) -> list[BaseRoute]:
    """The site's routes (see `build_site`)."""
    public = PublicPages(site)
    sign_in = SignInPages(site)
    account = AccountPages(site)
    casino = CasinoPages(site)
    responsible = ResponsibleGamblingPages(site)
    protection = PlayerProtectionPages(site)
    sports = SportsPages(site)
    recovery = RecoveryPages(site)
    inbox = InboxPages(site)
    marketing = MarketingPages(site)
    bonuses = BonusPages(site)
    rewards = RewardsPage(site)
    verification = VerificationPages(site)
    connected = ConnectedLoginPages(site)
    support = SupportPages(site)
    both = ["GET", "POST"]
    routes = [
        Route("/", public.home, methods=["GET"]),
        Route("/legal/{page}", public.legal, methods=["GET"]),
        Route("/responsible-gambling", responsible.overview, methods=["GET"]),
        Route("/responsible-gambling/self-exclusion", responsible.self_exclusion, methods=both),
        Route("/responsible-gambling/limits", protection.limits, methods=both),
        Route("/responsible-gambling/time-out", protection.time_out, methods=both),
        Route("/responsible-gambling/reality-check", protection.reality_check, methods=both),
        Route(
            "/responsible-gambling/reality-check/continue",
            protection.continue_playing,
            methods=["POST"],
        ),
        Route("/language/{code}", public.language, methods=["GET"]),
        Route("/register", sign_in.register, methods=both),
        Route("/login", sign_in.login, methods=both),
        Route("/login/two-factor", sign_in.two_factor, methods=both),
        Route("/logout", sign_in.logout, methods=["POST"]),
        Route("/login/connected", connected.start, methods=["POST"]),
        Route("/login/connected/callback", connected.callback, methods=["GET"]),
        Route("/login/connected/register", connected.register, methods=["POST"]),
        Route("/login/connected/link", connected.link, methods=["POST"]),
        Route("/forgot-password", recovery.forgot_password, methods=both),
        Route("/reset-password", recovery.reset_password, methods=both),
        Route("/verify-email", recovery.verify_email, methods=both),
        Route("/account", account.overview, methods=["GET"]),
        Route("/account/balance/stream", account.balance_stream, methods=["GET"]),
        Route("/account/transactions", account.transactions, methods=["GET"]),
        Route("/account/deposit", account.deposit, methods=both),
        Route("/account/withdraw", account.withdraw, methods=both),
        Route("/account/inbox", account.inbox, methods=["GET"]),
        Route("/account/bonuses", bonuses.account_bonuses, methods=["GET"]),
        Route("/account/bonuses/stream", bonuses.progress_stream, methods=["GET"]),
        Route("/account/bonuses/forfeit", bonuses.forfeit, methods=["POST"]),
        Route("/account/rewards", rewards.show, methods=["GET"]),
        Route("/account/rewards/redeem", rewards.redeem, methods=["POST"]),
        Route("/promotions", bonuses.promotions, methods=["GET"]),
        Route("/promotions/claim", bonuses.claim, methods=["POST"]),
        Route("/account/profile", verification.profile, methods=both),
        Route("/account/verification", verification.verification, methods=both),
        Route("/account/data.json", verification.personal_data, methods=["GET"]),
        Route("/account/erasure", verification.erasure, methods=["POST"]),
        Route("/account/inbox/stream", inbox.badge_stream, methods=["GET"]),
        Route("/account/marketing", marketing.preferences, methods=both),
        Route("/unsubscribe", marketing.unsubscribe, methods=both),
        Route("/support", support.chat, methods=both),
        Route("/support/stream", support.stream, methods=["GET"]),
        Route("/account/inbox/{message_id}/{action}", inbox.act, methods=["POST"]),
        Route("/casino", casino.lobby, methods=["GET"]),
        Route("/casino/games", casino.games, methods=["GET"]),
        Route("/casino/favourite", casino.favourite, methods=["POST"]),
        Route("/casino/{code}", casino.game, methods=["GET"]),
        Route("/casino/{code}/rounds", casino.rounds, methods=["GET"]),
        Route("/sports", sports.index, methods=["GET"]),
        Route("/sports/events", sports.events, methods=["GET"]),
        Route("/sports/event/{id}", sports.event, methods=["GET"]),
        Route("/sports/slip", sports.slip_page, methods=["GET"]),
        Route("/sports/slip", sports.slip, methods=["POST"]),
        Route("/sports/odds/stream", sports.odds_stream, methods=["GET"]),
        Route("/sports/odds-format", sports.odds_format, methods=["POST"]),
        Route("/account/bets", sports.my_bets, methods=["GET"]),
        Route("/account/bets/cash-out", sports.cash_out, methods=["POST"]),
        Route("/account/bets/{id}", sports.bet, methods=["GET"]),
        *_static_routes(site, settings),
        *ThemePreviewRoutes(site, public.home, public.legal).routes(),
    ]
    return [
        Route(
            route.path,
            _brand_hosts_only(registry, route.endpoint),
            methods=sorted(route.methods - {"HEAD"}) if route.methods else None,
            name=route.name,
            middleware=[GZIP],
        )
        for route in routes
    ]
