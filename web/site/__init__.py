"""The white-label website: server-rendered pages per brand, enhanced with htmx.

`site_routes` is mounted by web.app on every brand host. Pages read and write only through
named GraphQL documents executed in process (web.site.client); themes are data under
`themes/` (web.site.themes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry.schema.base import BaseSchema

from domain.brands.service import BrandRegistry
from domain.kernel.settings import Environment, Settings
from web.site import assets
from web.site.account import AccountPages
from web.site.bonuses import BonusPages
from web.site.casino import CasinoPages
from web.site.inbox import InboxPages
from web.site.pages import PublicPages, SignInPages
from web.site.protection import PlayerProtectionPages
from web.site.recovery import RecoveryPages
from web.site.responsible import ResponsibleGamblingPages
from web.site.site import Site
from web.site.sports import SportsPages
from web.site.themes import load_site_themes
from web.site.verification import VerificationPages
from web.static_assets import STATIC_CACHE_CONTROL, static_file

Endpoint = Callable[[Request], Awaitable[Response]]


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
        relative = assets.VENDOR_FILES.get(request.path_params["name"])
        if relative is None or not (modules / relative).is_file():
            return Response(status_code=404)
        return static_file(modules / relative, media_type="text/javascript")

    async def static(request: Request) -> Response:
        path: Path | None = site.theme(request).static_file(request.path_params["path"])
        if path is None:
            return Response(status_code=404)
        return static_file(path)

    return [
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
    bonuses = BonusPages(site)
    verification = VerificationPages(site)
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
        Route("/promotions", bonuses.promotions, methods=["GET"]),
        Route("/promotions/claim", bonuses.claim, methods=["POST"]),
        Route("/account/profile", verification.profile, methods=both),
        Route("/account/verification", verification.verification, methods=both),
        Route("/account/data.json", verification.personal_data, methods=["GET"]),
        Route("/account/erasure", verification.erasure, methods=["POST"]),
        Route("/account/inbox/stream", inbox.badge_stream, methods=["GET"]),
        Route("/account/inbox/{message_id}/{action}", inbox.act, methods=["POST"]),
        Route("/casino", casino.lobby, methods=["GET"]),
        Route("/casino/games", casino.games, methods=["GET"]),
        Route("/casino/favourite", casino.favourite, methods=["POST"]),
        Route("/casino/{code}", casino.game, methods=["GET"]),
        Route("/casino/{code}/rounds", casino.rounds, methods=["GET"]),
        Route("/sports", sports.index, methods=["GET"]),
        Route("/sports/event/{id}", sports.event, methods=["GET"]),
        Route("/sports/slip", sports.slip_page, methods=["GET"]),
        Route("/sports/slip", sports.slip, methods=["POST"]),
        Route("/sports/odds/stream", sports.odds_stream, methods=["GET"]),
        Route("/sports/odds-format", sports.odds_format, methods=["POST"]),
        Route("/account/bets", sports.my_bets, methods=["GET"]),
        Route("/account/bets/cash-out", sports.cash_out, methods=["POST"]),
        Route("/account/bets/{id}", sports.bet, methods=["GET"]),
        *_static_routes(site, settings),
    ]
    return [
        Route(
            route.path,
            _brand_hosts_only(registry, route.endpoint),
            methods=sorted(route.methods - {"HEAD"}) if route.methods else None,
            name=route.name,
        )
        for route in routes
    ]
