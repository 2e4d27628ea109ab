"""The website's core: per-request page state (brand theme, locale, nonce, CSRF token,
viewer) and rendering with the right security headers."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import quote, urlsplit

from babel.dates import format_datetime, get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_currency, format_decimal
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from strawberry.schema.base import BaseSchema

from domain.brands.service import Brand
from domain.compliance.jurisdictions import JurisdictionPack, pack_for
from domain.compliance.jurisdictions.rules import DisplayRules
from domain.kernel import clock
from domain.kernel.money import AMOUNT_INTEGER_DIGITS_MAX, AmountError, parse_decimal
from domain.kernel.settings import Settings
from domain.originals import studio
from domain.sportsbook import odds as odds_math
from resolvers.context import SESSION_COOKIE
from web.graphql import set_session_cookie
from web.site import assets, labels
from web.site.client import SiteGraphQL
from web.site.compression import GzipPageEncoder, PageEncoder, accepts_gzip
from web.site.security import (
    CSRF_FIELD,
    CsrfGuard,
    content_security_policy,
    new_nonce,
    set_csrf_cookie,
)
from web.site.themes import SiteTheme

LOCALE_COOKIE: Final = "__Host-stakehouse_locale"
LOCALE_COOKIE_MAX_AGE_S: Final = 365 * 24 * 3600
# The line a market's name may end with ("Total goals 2.5", "Asian handicap -0.75").
_LINE: Final = re.compile(r"[+-]?\d+(\.\d+)?")
# htmx settings for a strict CSP: no eval, no injected <style>, no history snapshots of
# pages that show balances.
HTMX_CONFIG: Final = (
    '{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,'
    '"historyCacheSize":0,"selfRequestsOnly":true}'
)


# The built-in studio's artwork, as the lobby links it (domain.integrations.aggregator).
_STUDIO_ART: Final = re.compile(r"/studio/art/([A-Za-z0-9]{1,16})/([a-z0-9-]{1,120})\.svg")
# Characters a data: URL of an SVG may carry as they are (quotes, `#`, `%`, `<` and `>` are
# escaped): shorter than base64 for markup.
_DATA_URL_SAFE: Final = " /=:;,.'()-_!*~"


@functools.lru_cache(maxsize=256)
def inline_artwork(url: str) -> str | None:
    """The built-in studio's artwork at `url` as a data: URL (drawn in process, the same
    bytes the studio serves), else None (another studio's art stays a request)."""
    found = _STUDIO_ART.fullmatch(url)
    art = studio.tile_art(found[1], found[2]) if found else None
    return "data:image/svg+xml," + quote(art, safe=_DATA_URL_SAFE) if art else None


# Babel formats a date in ~0.1 ms; a page of events formats the same few start times on
# every request.
MOMENTS_CACHED_MAX: Final = 4096


# The odds formats of the API's OddsFormat enum; a visitor who is not signed in reads decimal.
ODDS_FORMATS: Final = ("DECIMAL", "FRACTIONAL", "AMERICAN")


def _odds_written(odds: str) -> Mapping[str, str] | None:
    try:
        value = Decimal(odds)
    except InvalidOperation:
        return None
    return odds_math.display(value) if value.is_finite() and value > 1 else None


@functools.lru_cache(maxsize=MOMENTS_CACHED_MAX)
def _moment(value: str | datetime, locale: str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, _moment_pattern(locale), locale=locale)


@functools.lru_cache(maxsize=16)
def _moment_pattern(locale: str) -> str:
    """The locale's medium date and short time, as its medium date-time joins them: a kick-off
    or a bet reads "7 dec. 2026 04:00", not with seconds nobody needs."""
    joined = str(get_datetime_format("medium", locale=locale))
    date = get_date_format("medium", locale=locale).pattern
    time = get_time_format("short", locale=locale).pattern
    return joined.replace("{1}", date).replace("{0}", time)


@dataclass
class Viewer:
    player: dict[str, Any] | None
    two_factor_pending: bool
    # A self-excluded player's withdraw-only session: a banner, and no play or deposits.
    withdraw_only: bool = False
    # {startedAt, netPosition} where the brand's jurisdiction shows them, else None.
    session: dict[str, Any] | None = None

    @property
    def signed_in(self) -> bool:
        return self.player is not None and not self.two_factor_pending

    @property
    def odds_format(self) -> str:
        """How this visitor reads odds (an OddsFormat name): the player's choice, else
        DECIMAL."""
        chosen = self.player.get("oddsFormat") if self.signed_in and self.player else None
        return chosen if chosen in ODDS_FORMATS else "DECIMAL"

    @property
    def reality_check(self) -> dict[str, Any] | None:
        """The reality-check reminder when one is due now (SiteViewer reads it), else None."""
        if not self.signed_in or self.player is None:
            return None
        check: dict[str, Any] | None = self.player.get("realityCheck")
        return check if check and check.get("due") else None


NOBODY = Viewer(player=None, two_factor_pending=False)


@dataclass
class Page:
    """What every template of one request sees."""

    request: Request
    theme: SiteTheme
    locale: str
    nonce: str
    csrf_token: str
    viewer: Viewer
    fresh_csrf_secret: str | None

    @property
    def brand(self) -> Brand:
        return self.theme.brand

    @property
    def pack(self) -> JurisdictionPack:
        """The rules of the brand's jurisdiction (validated at start-up)."""
        return pack_for(self.brand.jurisdiction)

    @property
    def display(self) -> DisplayRules:
        """What the brand's jurisdiction shows a signed-in player (session clock, net
        position)."""
        return self.pack.display

    def session_minutes(self) -> int | None:
        """Minutes since the viewer's session began (the session clock), when shown."""
        started = (self.viewer.session or {}).get("startedAt")
        if not started or not self.display.session_clock:
            return None
        began = datetime.fromisoformat(str(started))
        return max(0, int((clock.now() - began).total_seconds()) // 60)

    def gettext(self, message: str) -> str:
        return self.theme.translations_for(self.locale).gettext(message)

    def money(self, amount: str | Decimal, currency: str) -> str:
        return format_currency(Decimal(amount), currency, locale=self.locale)

    def number(self, value: int | str | Decimal, places: int | None = None) -> str:
        """A count or quantity (loyalty points, minutes, a percentage) written for the
        locale; with `places`, always that many decimals (99.00 -> "99,00" in German)."""
        pattern = None if places is None else "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(Decimal(value), format=pattern, locale=self.locale)

    def balance(self, kind: str, amount: str | Decimal, currency: str) -> str:
        """A wallet's balance: points as a number of points, money as money."""
        if kind in labels.POINTS_WALLETS:
            return self.theme.translations_for(self.locale).ngettext(
                "%(points)s point", "%(points)s points", int(Decimal(amount))
            ) % {"points": self.number(amount)}
        return self.money(amount, currency)

    def label(self, group: str, code: str) -> str:
        """What a player reads for an API code (web.site.labels), never the code."""
        return self.gettext(labels.LABELS[group].get(code, labels.OTHER))

    def name(self, name: str) -> str:
        """A catalogue name: generic ones ("Match result", "Draw") in the page's language,
        with their line if they carry one ("Total goals 2.5" -> "Tore gesamt 2,5"), team
        and competition names as they are."""
        if name in labels.CATALOGUE_NAMES:
            return self.gettext(name)
        generic, _, line = name.rpartition(" ")
        if generic in labels.CATALOGUE_NAMES and _LINE.fullmatch(line):
            sign = "+" if line.startswith("+") else ""
            return f"{self.gettext(generic)} {sign}{self.number(line)}"
        return name

    def odds(self, value: str) -> str:
        """Decimal odds kept by the site (the bet slip) written in the viewer's format, as
        the API's `display` writes them."""
        written = _odds_written(value)
        return written[self.viewer.odds_format.lower()] if written else value

    def moment(self, value: str | datetime) -> str:
        return _moment(value, self.locale)

    def artwork(self, url: str) -> str:
        """The address of an artwork the first screen shows: the built-in studio's inlined
        (it paints with the page, not one round trip after it: the lobby's largest
        contentful paint on a phone), any other as it is."""
        return inline_artwork(url) or url

    def ordinal(self, position: int) -> str:
        """A finishing position as the page's language writes it: "2nd", "2.", "2:a"."""
        return ordinal(position, self.locale)

    def minutes_since(self, value: str) -> int:
        """Whole minutes from an ISO time until now (e.g. time played in a session)."""
        elapsed = clock.now() - datetime.fromisoformat(value)
        return max(0, int(elapsed.total_seconds()) // 60)


def ordinal(position: int, locale: str) -> str:
    """An ordinal number in `locale` (English: 1st, 2nd, 3rd, 4th, 11th, 21st; German:
    2.; Swedish: 1:a, 2:a, 3:e, 11:e, 21:a)."""
    language = locale.split("_", maxsplit=1)[0].split("-", maxsplit=1)[0]
    last, last_two = position % 10, position % 100
    if language == "sv":
        return f"{position}:{'a' if last in (1, 2) and last_two not in (11, 12) else 'e'}"
    if language == "en":
        suffixes = {1: "st", 2: "nd", 3: "rd"}
        suffix = "th" if 11 <= last_two <= 13 else suffixes.get(last, "th")
        return f"{position}{suffix}"
    return f"{position}."


class Site:
    """Shared by every page handler: themes, the GraphQL client, CSRF guard."""

    def __init__(
        self, settings: Settings, schema: BaseSchema, themes: dict[str, SiteTheme]
    ) -> None:
        self.settings = settings
        self.themes = themes
        self.graphql = SiteGraphQL(schema, settings)
        self.csrf = CsrfGuard(settings.secret_key)
        # The fingerprinted URL of htmx and its SSE extension (web.site.assets).
        self.vendor_url = functools.partial(assets.vendor_url, settings)

    def provider_origins(self, brand: str) -> tuple[str, ...]:
        """The origin of the brand's configured connected-login provider (none for the
        built-in one, which is the site itself): the connected-login form redirects there."""
        issuer = self.settings.connected_login_issuers.get(brand)
        if issuer is None:
            return ()
        parts = urlsplit(issuer)
        return (f"{parts.scheme}://{parts.netloc}",)

    def theme(self, request: Request) -> SiteTheme:
        # A signed theme preview (web.site.theme_preview) renders this request in a draft.
        previewed: SiteTheme | None = request.scope["state"].get("theme_preview")
        if previewed is not None:
            return previewed
        return self.themes[request.scope["state"]["brand"].slug]

    async def page(self, request: Request) -> Page:
        theme = self.theme(request)
        viewer_data: dict[str, Any] = {}
        # The site authenticates by its session cookie only: without one the viewer is
        # nobody, and a first visit spares the in-process query.
        if request.cookies.get(SESSION_COOKIE):
            display = pack_for(theme.brand.jurisdiction).display
            shown = {"sessionDisplay": display.session_clock or display.net_position}
            result = await self.graphql.run(request, "SiteViewer", shown)
            viewer_data = result.data.get("viewer") or {}
        viewer = Viewer(
            viewer_data.get("player"),
            bool(viewer_data.get("twoFactorPending")),
            withdraw_only=bool(viewer_data.get("withdrawOnly")),
            session=viewer_data.get("session"),
        )
        return self.page_for(request, theme, viewer)

    def signed_out_page(self, request: Request) -> Page:
        """A page for nobody, read without any I/O (the error pages: they must not fail for
        the reason the request did)."""
        return self.page_for(request, self.theme(request), NOBODY)

    def page_for(self, request: Request, theme: SiteTheme, viewer: Viewer) -> Page:
        token, fresh = self.csrf.token(request)
        return Page(
            request=request,
            theme=theme,
            locale=self._locale(request, theme, viewer),
            nonce=new_nonce(),
            csrf_token=token,
            viewer=viewer,
            fresh_csrf_secret=fresh,
        )

    def _locale(self, request: Request, theme: SiteTheme, viewer: Viewer) -> str:
        locales = theme.brand.all_locales
        if viewer.player and viewer.player.get("locale") in locales:
            return str(viewer.player["locale"])
        chosen = request.cookies.get(LOCALE_COOKIE)
        return chosen if chosen in locales else theme.brand.default_locale

    async def form(self, request: Request) -> FormData | None:
        """The posted form if the request passes the CSRF and Origin checks, else None."""
        form = await request.form(max_files=0, max_fields=50)
        return form if self.csrf.check(request, form) else None

    def render(
        self,
        page: Page,
        template: str,
        *,
        status: int = 200,
        personal: bool = False,
        **values: Any,
    ) -> Response:
        """The page, sent in parts when it is large (see `_parts`): the browser has the
        head, and fetches styles and scripts, while the rest renders. The first part is
        rendered before anything is sent, so a failure there is still an error page. A
        browser that accepts gzip gets it compressed here, the brand's stylesheet
        precompressed (web/site/compression.py); the route's GZipMiddleware passes an
        encoded body through."""
        theme = page.theme
        environment = theme.environment
        parts = environment.get_template(template).generate(
            page=page,
            brand=page.brand,
            translations=theme.translations_for(page.locale),
            csrf_field=CSRF_FIELD,
            htmx_config=HTMX_CONFIG,
            vendor_url=self.vendor_url,
            personal=personal,
            **values,
        )
        first, done = _take(parts, FIRST_PART_CHARS)
        encoder = _encoder(page)
        response: Response
        if done:
            response = HTMLResponse(encoder.encode(first, last=True), status_code=status)
        else:
            response = StreamingResponse(
                _parts(encoder, first, parts), status_code=status, media_type="text/html"
            )
        if encoder.encoding is not None:
            response.headers["content-encoding"] = encoder.encoding
        self.secure(response, page, personal=personal)
        return response

    def secure(self, response: Response, page: Page, *, personal: bool) -> None:
        response.headers["content-security-policy"] = content_security_policy(
            page.nonce, form_targets=self.provider_origins(page.brand.slug)
        )
        # Every page shows who is signed in and carries a CSRF token: never a shared cache;
        # balances and personal data not even the browser's.
        response.headers["cache-control"] = "no-store" if personal else "private, no-cache"
        # The body's encoding follows Accept-Encoding (see `render`).
        response.headers["vary"] = "Cookie, Accept-Encoding"
        if page.fresh_csrf_secret:
            set_csrf_cookie(response, page.fresh_csrf_secret)
        self.apply_session_cookie(page.request, response)

    def apply_session_cookie(self, request: Request, response: Response) -> None:
        """Set or clear the session cookie when a sign-in or sign-out asked for it."""
        context = request.scope["state"].get("site_graphql_context")
        if context is not None and context.pending_cookie is not None:
            token, max_age = context.pending_cookie
            set_session_cookie(response, token, max_age)

    def redirect(self, request: Request, location: str) -> Response:
        response = RedirectResponse(location, status_code=303)
        response.headers["cache-control"] = "no-store"
        self.apply_session_cookie(request, response)
        return response

    def forbidden(self, page: Page) -> Response:
        return self.render(
            page,
            "error.html",
            status=403,
            title=page.gettext("This request was refused"),
            message=page.gettext(
                "The form expired or came from another site. Reload the page and try again."
            ),
        )

    async def signed_in_page(self, request: Request) -> tuple[Page, Response | None]:
        """The page, and the redirect to sign in first when nobody is signed in."""
        page = await self.page(request)
        if not page.viewer.signed_in:
            return page, self.sign_in_first(request, page)
        return page, None

    def sign_in_first(self, request: Request, page: Page) -> Response:
        if page.viewer.two_factor_pending:
            return self.redirect(request, "/login/two-factor")
        return self.redirect(request, "/login?next=" + quote(request.url.path, safe="/"))


# A page of more than FIRST_PART_CHARS goes out as its first part (the head, with the
# inline stylesheet of about 22 KB, and the top of the body), then in parts of about
# PART_CHARS as the template renders them. A page within FIRST_PART_CHARS (the lobby's
# first screen is about 50 KB) goes whole: its length known, one compressed body, one
# write, none of a stream's per-part framing, flushes and disconnect watching.
FIRST_PART_CHARS: Final = 65536
PART_CHARS: Final = 32768


def _encoder(page: Page) -> PageEncoder:
    if accepts_gzip(page.request.headers.get("accept-encoding", "")):
        return GzipPageEncoder([page.theme.inline_css_block()])
    return PageEncoder()


# A lobby is about a thousand pieces (markup between expressions, each expression's
# output): they are taken and measured TAKE_BATCH at a time by C loops (islice, map),
# not one by one in Python, which cost about as much as a fifth of the render.
TAKE_BATCH: Final = 128


def _take(pieces: Iterator[str], chars: int) -> tuple[list[str], bool]:
    """At least `chars` characters of `pieces` (fewer at the end) and whether they ran out."""
    taken: list[str] = []
    size = 0
    while size < chars:
        batch = list(itertools.islice(pieces, TAKE_BATCH))
        taken += batch
        if len(batch) < TAKE_BATCH:
            return taken, True
        size += sum(map(len, batch))
    return taken, False


async def _parts(
    encoder: PageEncoder, first: list[str], pieces: Iterator[str]
) -> AsyncIterator[bytes]:
    yield encoder.encode(first, last=False)
    done = False
    while not done:
        part, done = _take(pieces, PART_CHARS)
        yield encoder.encode(part, last=done)


def parse_amount(value: object) -> Decimal | None:
    """A positive decimal amount from a form field, else None."""
    if not isinstance(value, str):
        return None
    try:
        # The one money parser's rule (exact, bounded); the currency's own decimals are
        # checked by the API, which names the field.
        amount = parse_decimal(
            value.strip().replace(",", "."),
            places_max=3,
            integer_digits_max=AMOUNT_INTEGER_DIGITS_MAX,
        )
    except AmountError:
        return None
    return amount if amount > 0 else None


def local_path(value: object, default: str = "/account") -> str:
    """`next=` only ever leads to a path of this site (no open redirect)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default
