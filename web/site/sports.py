"""The sportsbook pages: events with their markets and live prices, a bet slip, the
player's bets with cash-out.

Everything goes through the named documents Sports*.graphql, PlaceBet.graphql,
MyBets.graphql, CashOut.graphql and OddsChanged.graphql. The bet slip lives in a signed
cookie (selections with the odds the player saw, stake, bet type, odds policy and the
slip's idempotency key); every change to it is a CSRF-checked POST that works as a plain
form (answered by a redirect) and, with htmx, swaps the slip. The potential return is
previewed on the server with exact decimals; `placeBet` runs only on submit, with the
key from the form, so a double submit replays the same bet.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Final
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from domain.kernel.money import (
    AMOUNT_INTEGER_DIGITS_MAX,
    AmountError,
    exponent,
    is_supported_currency,
    parse_decimal,
)
from schema.ids import int_of_text
from web.site.refusals import refusal, refusals
from web.site.security import CSRF_FIELD
from web.site.site import ODDS_FORMATS, Page, Site, local_path
from web.streams import KEEPALIVE, event_stream, sse, subscribed

SLIP_COOKIE: Final = "__Host-stakehouse_slip"
SLIP_COOKIE_MAX_AGE_S: Final = 7 * 24 * 3600
SLIP_SELECTIONS_MAX: Final = 12
LABEL_LENGTH_MAX: Final = 120
EVENTS_PAGE_SIZE: Final = 20
# The first screen of /sports: the events in play and the next to start, each with its main
# market; "Show more events" adds as many again (`?shown=`), up to what the page reads. A
# full book rendered whole is over a thousand elements, which a phone styles, lays out and
# htmx walks at load (Lighthouse: dom-size, total blocking time).
EVENTS_FIRST_SCREEN: Final = 10
# A race's runners on the list: its favourites by price; its card has them all.
RACE_FAVOURITES_SHOWN: Final = 3
# The API's own limit on `oddsChanged(events:)`.
STREAM_EVENTS_MAX: Final = 50
BETS_PAGE_SIZE: Final = 20
# How long the signed-out event list (events, markets, prices) may be served from the
# site's per-brand cache. Prices change by the second: a price older than this on a page
# is at worst refused at placement (ODDS_CHANGED, with the new price) under the player's
# odds policy, as for a page left open.
EVENTS_MAX_AGE_S: Final = 1.0
BET_TYPES: Final = ("SINGLE", "MULTIPLE")
ODDS_POLICIES: Final = ("NONE", "HIGHER", "ANY")
_ID_LENGTH_MAX: Final = 200
_SAFE = re.compile(r"[^A-Za-z0-9]")


def dom_id(global_id: str) -> str:
    """A global ID as an HTML id / SSE event name (letters and digits only)."""
    return _SAFE.sub("", global_id)


# A market's each-way terms as its form sends them: places|fraction, e.g. "3|1/5".
_PLACE_TERMS = re.compile(r"([1-9][0-9]?)\|([1-9][0-9]{0,2})/([1-9][0-9]{0,2})")


@dataclass
class Selection:
    outcome: str
    odds: str
    label: str
    # The market's each-way terms ("3|1/5"); "" when it has none.
    place_terms: str = ""

    def place_fraction(self) -> Decimal | None:
        found = _PLACE_TERMS.fullmatch(self.place_terms)
        return Decimal(found[2]) / Decimal(found[3]) if found else None


@dataclass
class Slip:
    selections: list[Selection] = field(default_factory=list)
    key: str = field(default_factory=lambda: "slip-" + secrets.token_urlsafe(16))
    stake: str = ""
    bet_type: str = "SINGLE"
    policy: str = "NONE"
    each_way: bool = False

    def offers_each_way(self) -> bool:
        """Each-way singles, where every selection's market has place terms."""
        return (
            self.bet_type == "SINGLE"
            and bool(self.selections)
            and all(s.place_fraction() is not None for s in self.selections)
        )

    def is_each_way(self) -> bool:
        return self.each_way and self.offers_each_way()

    def renew_key(self) -> None:
        self.key = "slip-" + secrets.token_urlsafe(16)

    def has(self, outcome: str) -> bool:
        return any(selection.outcome == outcome for selection in self.selections)

    def to_json(self) -> str:
        return json.dumps(
            {
                "s": [[s.outcome, s.odds, s.label, s.place_terms] for s in self.selections],
                "k": self.key,
                "a": self.stake,
                "t": self.bet_type,
                "p": self.policy,
                "e": self.each_way,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, raw: str) -> Slip:
        data = json.loads(raw)
        slip = cls(
            # A slip written before each-way has three fields per selection.
            selections=[Selection(*(str(v) for v in s[:4])) for s in data["s"]],
            key=str(data["k"]),
            stake=str(data.get("a", "")),
            bet_type=str(data.get("t", "SINGLE")),
            policy=str(data.get("p", "NONE")),
            each_way=data.get("e") is True,
        )
        if slip.bet_type not in BET_TYPES:
            slip.bet_type = "SINGLE"
        if slip.policy not in ODDS_POLICIES:
            slip.policy = "NONE"
        return slip


def parse_odds(value: object) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        # The one decimal parser, so "1E+400000" is refused before any arithmetic.
        odds = parse_decimal(value.strip(), places_max=4, integer_digits_max=6)
    except AmountError:
        return None
    if odds <= 1:
        return None
    # As the site writes decimal odds: 2.5000 -> 2.50, 1.125 stays.
    cents = odds.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return cents if cents == odds else odds.normalize()


def parse_stake(value: object, currency: str) -> Decimal | None:
    """A positive stake with at most the currency's decimal places, else None."""
    if not isinstance(value, str):
        return None
    try:
        # The one money parser's rule: exact, bounded, no more decimals than the currency.
        stake = parse_decimal(
            value.strip().replace(",", "."),
            places_max=exponent(currency),
            integer_digits_max=AMOUNT_INTEGER_DIGITS_MAX,
        )
    except AmountError:
        return None
    return stake if stake > 0 else None


@dataclass(frozen=True)
class Preview:
    lines: int
    total_stake: Decimal
    potential_return: Decimal
    currency: str


def preview(slip: Slip, stake: Decimal, currency: str) -> Preview | None:
    """What the slip stakes in all and returns if every selection wins (rounded down to the
    currency's minor unit, as settlement does); None if the bet type does not fit."""
    odds = [Decimal(selection.odds) for selection in slip.selections]
    if not odds:
        return None
    unit = Decimal(1).scaleb(-exponent(currency))
    if slip.bet_type == "MULTIPLE":
        if len(odds) < 2:
            return None
        product = Decimal(1)
        for price in odds:
            product *= price
        lines, gross = 1, stake * product
    else:
        lines, gross = len(odds), sum((stake * price for price in odds), Decimal(0))
    if slip.is_each_way():
        # The place part: a second stake per line at (odds - 1) * fraction + 1.
        for selection, price in zip(slip.selections, odds, strict=True):
            fraction = selection.place_fraction()
            assert fraction is not None
            gross += stake * ((price - 1) * fraction + 1)
        lines *= 2
    return Preview(
        lines=lines,
        total_stake=(stake * lines).quantize(unit),
        potential_return=gross.quantize(unit, rounding=ROUND_DOWN),
        currency=currency,
    )


class SlipCookie:
    """The slip as a signed cookie (HMAC under the server secret, bound to the brand), so a
    page cannot be given a slip it did not build; the API checks every price anyway."""

    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key

    def _sign(self, brand: str, payload: str) -> str:
        message = f"slip|{brand}|{payload}".encode()
        return hmac.new(self.secret_key.encode(), message, hashlib.sha256).hexdigest()

    def read(self, request: Request) -> Slip:
        raw = request.cookies.get(SLIP_COOKIE, "")
        brand = request.scope["state"]["brand"].slug
        payload, _, signature = raw.partition(".")
        if not payload or not hmac.compare_digest(self._sign(brand, payload), signature):
            return Slip()
        try:
            padded = payload + "=" * (-len(payload) % 4)
            return Slip.from_json(base64.urlsafe_b64decode(padded).decode())
        except (ValueError, KeyError, TypeError):
            return Slip()

    def write(self, request: Request, response: Response, slip: Slip) -> None:
        brand = request.scope["state"]["brand"].slug
        payload = base64.urlsafe_b64encode(slip.to_json().encode()).decode().rstrip("=")
        response.set_cookie(
            SLIP_COOKIE,
            f"{payload}.{self._sign(brand, payload)}",
            max_age=SLIP_COOKIE_MAX_AGE_S,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )


def _events_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data["sportsbookEvents"]["edges"]]


def _shown(value: str | None) -> int:
    """How many events of the list a page shows: `?shown=` rounded up to whole screens,
    between one screen and what the page reads."""
    count = int(value) if value and value.isdigit() and len(value) <= 3 else 0
    screens = max(1, -(-count // EVENTS_FIRST_SCREEN))
    return min(screens * EVENTS_FIRST_SCREEN, EVENTS_PAGE_SIZE)


def in_play_first(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Live events, then the rest, each group in the book's order (by start time)."""
    return [e for e in events if e["status"] == "LIVE"] + [
        e for e in events if e["status"] != "LIVE"
    ]


def race_favourites(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A race's shortest-priced open runners (at most RACE_FAVOURITES_SHOWN), in card order."""
    open_runners = [(n, o) for n, o in enumerate(outcomes) if o["status"] == "ACTIVE"]
    by_price = sorted(open_runners, key=lambda pair: (Decimal(str(pair[1]["odds"])), pair[0]))
    return [outcome for _, outcome in sorted(by_price[:RACE_FAVOURITES_SHOWN], key=lambda p: p[0])]


def listing_card(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the list shows it: its main market only (the first the book lists; of a
    race, the favourites), with how many markets (`more_markets`) and runners
    (`more_runners`) its own page adds."""
    markets = event["markets"]
    if not markets:
        return {**event, "more_markets": 0, "more_runners": 0}
    main = markets[0]
    more_runners = 0
    if main.get("type") in RACE_MARKET_TYPES and len(main["outcomes"]) > RACE_FAVOURITES_SHOWN:
        favourites = race_favourites(main["outcomes"])
        more_runners = len(main["outcomes"]) - len(favourites)
        main = {**main, "outcomes": favourites}
    return {
        **event,
        "markets": [main],
        "more_markets": len(markets) - 1,
        "more_runners": more_runners,
    }


def _stream_url(events: list[dict[str, Any]], *, listing: bool = False) -> str:
    """The page's live stream; a list's (`listing`) also moves an event that starts from
    "Upcoming" to "In play"."""
    ids = ",".join(event["id"] for event in events[:STREAM_EVENTS_MAX])
    return "/sports/odds/stream?events=" + ids + ("&list=1" if listing else "")


class SportsPages:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.cookie = SlipCookie(site.settings.secret_key)

    def _currency(self, page: Page) -> str:
        if page.viewer.player is not None:
            return str(page.viewer.player["currency"])
        return str(page.brand.currencies[0])

    def _slip_values(
        self, page: Page, slip: Slip, *, notice: str | None = None, errors: list[str] | None = None,
        receipt: dict[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        currency = self._currency(page)
        stake = parse_stake(slip.stake, currency) if is_supported_currency(currency) else None
        return {
            "slip": slip,
            "currency": currency,
            "preview": preview(slip, stake, currency) if stake is not None else None,
            "slip_notice": notice,
            "slip_errors": errors or [],
            "receipt": receipt,
            "dom_id": dom_id,
        }

    def _render(
        self, request: Request, page: Page, template: str, slip: Slip, *, status: int = 200,
        personal: bool = False, write_slip: bool = False, **values: Any,
    ) -> Response:  # fmt: skip
        merged = {**self._slip_values(page, slip), **values}
        response = self.site.render(page, template, status=status, personal=personal, **merged)
        if write_slip:
            self.cookie.write(request, response, slip)
        return response

    async def _wallets(self, request: Request, page: Page) -> list[dict[str, Any]]:
        if not page.viewer.signed_in:
            return []
        result = await self.site.graphql.run(request, "AccountBalances")
        player = (result.data.get("viewer") or {}).get("player") or {}
        wallets: list[dict[str, Any]] = player.get("wallets") or []
        return wallets

    async def index(self, request: Request) -> Response:
        page = await self.site.page(request)
        values = await self._listing(request, page)
        return self._render(
            request, page, "sports/index.html", self.cookie.read(request),
            personal=page.viewer.signed_in, wallets=await self._wallets(request, page), **values,
        )  # fmt: skip

    async def events(self, request: Request) -> Response:
        """The list's events alone (htmx: "Show more events" swaps them in place, with their
        stream, and leaves the slip and the rest of the page be); a plain GET gets /sports."""
        list_path = "/sports" + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request") != "true":
            return self.site.redirect(request, list_path)
        page = await self.site.page(request)
        values = await self._listing(request, page)
        response = self._render(
            request, page, "sports/_events.html", self.cookie.read(request),
            personal=page.viewer.signed_in, **values,
        )  # fmt: skip
        # The address bar shows the list it amounts to (a reload shows as many events).
        response.headers["hx-replace-url"] = values["return_path"]
        return response

    async def _listing(self, request: Request, page: Page) -> dict[str, Any]:
        """What the list shows: in-play events first, then the next to start, `?shown=` of
        them (one screen unless asked), each as its card (`listing_card`), of one sport
        (`?sport=`) or in play only (`?status=live`)."""
        # The same for every signed-out visitor: served from the per-brand cache for a
        # moment; the page's odds stream pushes every price change after it opens.
        result = await self.site.graphql.run_shared(
            request,
            "SportsEvents",
            {"first": EVENTS_PAGE_SIZE, "after": None, "format": page.viewer.odds_format},
            max_age_s=EVENTS_MAX_AGE_S,
        )
        sport = request.query_params.get("sport", "")[:_ID_LENGTH_MAX]
        events = _events_of(result.data)
        if sport:
            events = [e for e in events if e["competition"]["sport"]["key"] == sport]
        # The in-play section alone (/sports?status=live).
        live_only = request.query_params.get("status") == "live"
        if live_only:
            events = [e for e in events if e["status"] == "LIVE"]
        events = in_play_first(events)
        shown = _shown(request.query_params.get("shown"))
        cards = [listing_card(event) for event in events[:shown]]
        kept = {"sport": sport, "status": "live" if live_only else ""}
        query = {key: value for key, value in kept.items() if value}
        more = {**query, "shown": str(shown + EVENTS_FIRST_SCREEN)}
        if shown > EVENTS_FIRST_SCREEN:
            query["shown"] = str(shown)
        return {
            "sports": result.data["sports"],
            "current_sport": sport,
            "live_only": live_only,
            "events": cards,
            "more_query": urlencode(more) if len(events) > shown else None,
            "more_count": min(len(events) - shown, EVENTS_FIRST_SCREEN),
            "stream_url": _stream_url(cards, listing=True) if cards else None,
            "return_path": "/sports" + (f"?{urlencode(query)}" if query else ""),
        }

    async def event(self, request: Request) -> Response:
        page = await self.site.page(request)
        event_id = request.path_params["id"][:_ID_LENGTH_MAX]
        event = None
        # Not an event's id ("abc", "-1"): the same 404 as an unknown event, without asking.
        if int_of_text(event_id, "SportsbookEvent") is not None:
            variables = {"id": event_id, "format": page.viewer.odds_format}
            result = await self.site.graphql.run(request, "SportsEvent", variables)
            event = result.data.get("node")
        if not event or "markets" not in event:
            return self.site.render(
                page,
                "error.html",
                status=404,
                title=page.gettext("Event not found"),
                message=page.gettext("This event is not offered."),
            )
        for market in event["markets"]:
            market["runners"] = race_card(market)
        return self._render(
            request,
            page,
            "sports/event.html",
            self.cookie.read(request),
            personal=page.viewer.signed_in,
            event=event,
            wallets=await self._wallets(request, page),
            stream_url=_stream_url([event]),
            return_path=request.url.path,
        )

    async def slip(self, request: Request) -> Response:
        """Every change to the slip (POST, CSRF-checked): add, remove, clear, update (stake,
        type, odds policy), preview (htmx: the potential return only) and place."""
        page = await self.site.page(request)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        slip = self.cookie.read(request)
        action = str(form.get("action") or "")
        htmx = request.headers.get("hx-request") == "true"
        back = local_path(form.get("next"), "/sports")
        if action == "add":
            self._add(slip, form)
        elif action == "remove":
            outcome = str(form.get("outcome") or "")
            before = len(slip.selections)
            slip.selections = [s for s in slip.selections if s.outcome != outcome]
            if len(slip.selections) != before:
                slip.renew_key()
        elif action == "clear":
            slip = Slip()
        elif action in {"update", "preview", "place"}:
            self._update(slip, form)
        if action == "preview" and htmx:
            return self._render(request, page, "sports/_return.html", slip, write_slip=True)
        if action == "place":
            return await self._place(request, page, slip, form, htmx=htmx, back=back)
        if not htmx:
            response = self.site.redirect(request, back)
            self.cookie.write(request, response, slip)
            return response
        return self._render(
            request, page, "sports/_slip.html", slip, write_slip=True, return_path=back
        )

    def _add(self, slip: Slip, form: FormData) -> None:
        outcome, odds, label = _picked(form)
        if not outcome or odds is None or slip.has(outcome):
            return
        if len(slip.selections) >= SLIP_SELECTIONS_MAX:
            return
        terms = form.get("place_terms")
        place_terms = terms if isinstance(terms, str) and _PLACE_TERMS.fullmatch(terms) else ""
        slip.selections.append(Selection(outcome, str(odds), label, place_terms))
        slip.renew_key()

    def _update(self, slip: Slip, form: FormData) -> None:
        stake = form.get("stake")
        if isinstance(stake, str):
            slip.stake = stake.strip()[:30]
        bet_type = form.get("type")
        if bet_type in BET_TYPES:
            slip.bet_type = str(bet_type)
        policy = form.get("policy")
        if policy in ODDS_POLICIES:
            slip.policy = str(policy)
        # A checkbox sends nothing when unticked: the slip form always carries the choice.
        slip.each_way = form.get("each_way") == "on"

    async def _place(
        self, request: Request, page: Page, slip: Slip, form: FormData, *, htmx: bool, back: str
    ) -> Response:
        if not page.viewer.signed_in:
            return self.site.sign_in_first(request, page)
        currency = self._currency(page)
        # The selections and key of the form the player submitted: a second submit of the
        # same form is the same input with the same key, which the API replays.
        selections = _form_selections(form) or [(s.outcome, s.odds) for s in slip.selections]
        key = str(form.get("idempotency_key") or "")[:200] or slip.key
        stake = parse_stake(slip.stake, currency)
        errors: list[str] = []
        if not selections:
            errors.append(page.gettext("Add a selection to your bet slip first."))
        if stake is None:
            errors.append(page.gettext("Enter a stake in %(currency)s.") % {"currency": currency})
        if slip.bet_type == "MULTIPLE" and len(selections) < 2:
            errors.append(page.gettext("A multiple needs at least two selections."))
        if errors:
            return await self._slip_response(
                request, page, slip, htmx, back, status=400, errors=errors
            )
        variables = {
            "input": {
                "selections": [{"outcome": o, "odds": d} for o, d in selections],
                "type": slip.bet_type,
                "stake": {"amount": str(stake), "currency": currency},
                "oddsPolicy": slip.policy,
                "eachWay": slip.is_each_way(),
                "idempotencyKey": key,
            }
        }
        result = await self.site.graphql.run(request, "PlaceBet", variables)
        payload = result.data["placeBet"]
        if payload["bet"] is not None and not payload["errors"]:
            fresh = Slip(
                stake=slip.stake, bet_type=slip.bet_type, policy=slip.policy, each_way=slip.each_way
            )
            return await self._slip_response(
                request, page, fresh, htmx, back, receipt={
                    "bet": payload["bet"], "replayed": payload["replayed"],
                },
            )  # fmt: skip
        codes = [error["code"] for error in payload["errors"]]
        notice = None
        if "ODDS_CHANGED" in codes and payload["currentOdds"]:
            now = {entry["outcome"]: entry["odds"] for entry in payload["currentOdds"]}
            for selection in slip.selections:
                current = parse_odds(str(now.get(selection.outcome, "")))
                if current is not None:
                    selection.odds = str(current)
            slip.renew_key()
            notice = page.gettext("The odds changed. Check the new odds and place your bet again.")
        messages = await refusals(self.site, request, page, payload["errors"])
        return await self._slip_response(
            request, page, slip, htmx, back, status=409 if not htmx else 200,
            errors=messages, notice=notice,
        )  # fmt: skip

    async def _slip_response(
        self, request: Request, page: Page, slip: Slip, htmx: bool, back: str, *,
        status: int = 200, errors: list[str] | None = None, notice: str | None = None,
        receipt: dict[str, Any] | None = None,
    ) -> Response:  # fmt: skip
        values = self._slip_values(page, slip, notice=notice, errors=errors, receipt=receipt)
        template = "sports/_slip.html" if htmx else "sports/slip.html"
        response = self.site.render(
            page,
            template,
            status=200 if htmx else status,
            personal=True,
            return_path=back,
            wallets=[] if htmx else await self._wallets(request, page),
            **values,
        )
        self.cookie.write(request, response, slip)
        return response

    async def slip_page(self, request: Request) -> Response:
        """The slip on a page of its own (where a form post without JavaScript lands)."""
        page = await self.site.page(request)
        return self._render(
            request, page, "sports/slip.html", self.cookie.read(request), personal=True,
            return_path="/sports/slip", wallets=await self._wallets(request, page),
        )  # fmt: skip

    async def odds_format(self, request: Request) -> Response:
        """The viewer chooses how odds are written (POST, CSRF-checked, a plain form), then
        goes back to the page it came from."""
        page = await self.site.page(request)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        if not page.viewer.signed_in:
            return self.site.sign_in_first(request, page)
        chosen = form.get("format")
        if chosen in ODDS_FORMATS:
            variables = {"input": {"format": chosen}}
            await self.site.graphql.run(request, "SetOddsFormat", variables)
        return self.site.redirect(request, local_path(form.get("next"), "/sports"))

    async def odds_stream(self, request: Request) -> Response:
        """Server-sent events, each a set of out-of-band swaps by element id for the page's
        one listener: `odds`, a changed outcome's button again (with ↑/↓) and its market's
        status label, from the `oddsChanged` subscription of the page's events; `live`, an
        event's live line (status, score, clock) and the markets whose status changed, from
        one `eventsUpdated` subscription of all of them; on a list (`list=1`), `moves`: an
        event that starts moves from "Upcoming" to "In play"."""
        page = await self.site.page(request)
        raw = request.query_params.get("events", "")
        ids = [i for i in raw.split(",") if i and len(i) <= _ID_LENGTH_MAX][:STREAM_EVENTS_MAX]
        if not ids:
            return Response(status_code=204)
        listing = request.query_params.get("list") == "1"
        return event_stream(self._odds_events(request, page, ids, listing=listing))

    async def _odds_events(
        self, request: Request, page: Page, ids: list[str], *, listing: bool = False
    ) -> AsyncIterator[str]:
        live = await self._live_state(request, page, ids, listing=listing)
        # Two subscriptions, whatever the number of events: the page's odds (the buttons
        # written as the page's were, in the viewer's odds format), and every event's
        # score, clock and statuses.
        streams = [
            self.site.graphql.subscribe(
                request, "OddsChanged", {"events": ids, "format": page.viewer.odds_format}
            )
        ]
        if live.events:
            streams.append(
                self.site.graphql.subscribe(request, "EventsUpdated", {"events": live.events})
            )
        # Closed with the response, so every subscription ends when the browser leaves.
        async with contextlib.aclosing(subscribed(streams)) as merged:
            async for data in merged:
                if data is None:
                    yield KEEPALIVE
                elif "oddsChanged" in data:
                    for change in data["oddsChanged"]["outcomes"]:
                        for message in self._changed(page, live, change):
                            yield message
                elif data.get("eventsUpdated"):
                    event = data["eventsUpdated"]
                    for message in self._event_changed(page, live, event):
                        yield message
                    if listing and live.started(event):
                        yield await self._moved_in_play(request, page, live, event["id"])

    async def _live_state(
        self, request: Request, page: Page, ids: list[str], *, listing: bool = False
    ) -> _Live:
        """What each outcome is called and costs now, to render its button and the move,
        and each market's status, to tell a suspension the event's update brings. Of a list
        (`listing`), only what its cards show (`listing_card`): a change to a market or
        runner the page does not hold is not sent."""
        live = _Live()
        for event_id in ids:
            variables = {"id": event_id, "format": page.viewer.odds_format}
            found = await self.site.graphql.run(request, "SportsEvent", variables)
            event = found.data.get("node")
            if not event or "markets" not in event:
                continue
            if listing:
                event = listing_card(event)
            live.events.append(event["id"])
            live.status[event["id"]] = event["status"]
            for market in event["markets"]:
                live.market_status[market["id"]] = market["status"]
                for outcome in market["outcomes"]:
                    live.known[outcome["id"]] = {"outcome": outcome, "market": market["id"]}
        return live

    def _render_part(self, page: Page, template: str, **values: Any) -> str:
        return page.theme.environment.get_template(template).render(
            page=page, translations=page.theme.translations_for(page.locale), **values
        )

    async def _moved_in_play(self, request: Request, page: Page, live: _Live, event_id: str) -> str:
        """An event of the list that started: its card, read again, leaves "Upcoming" and
        joins "In play" (out-of-band swaps into the page's `moves` listener; the slip is
        not touched)."""
        found = await self.site.graphql.run(
            request, "SportsEvent", {"id": event_id, "format": page.viewer.odds_format}
        )
        event = found.data.get("node")
        if not event or "markets" not in event:
            return ""
        event = listing_card(event)
        for market in event["markets"]:
            live.market_status[market["id"]] = market["status"]
            for outcome in market["outcomes"]:
                live.known[outcome["id"]] = {"outcome": outcome, "market": market["id"]}
        card = self._render_part(
            page, "sports/_event.html", event=event, dom_id=dom_id, csrf_field=CSRF_FIELD,
            return_path="/sports",
        )  # fmt: skip
        html = (
            f'<div id="event-card-{dom_id(event_id)}" hx-swap-oob="delete"></div>'
            f'<div hx-swap-oob="beforeend:#in-play-events">{card}</div>'
        )
        return sse("moves", html)

    def _changed(self, page: Page, live: _Live, change: dict[str, Any]) -> list[str]:
        entry = live.known.get(change["outcome"])
        if entry is None:
            return []
        before = Decimal(str(entry["outcome"]["odds"]))
        odds = Decimal(str(change["odds"]))
        move = "up" if odds > before else "down" if odds < before else None
        outcome = {
            **entry["outcome"],
            "odds": change["odds"],
            "display": change["display"],
            "status": change["status"],
        }
        entry["outcome"] = outcome
        live.market_status[change["market"]] = change["marketStatus"]
        market = {"id": change["market"], "status": change["marketStatus"]}
        button = self._render_part(
            page, "sports/_outcome.html", outcome=outcome, market=market, move=move
        )
        status = self._render_part(page, "sports/_market_status.html", market=market)
        return [
            sse(
                "odds",
                _out_of_band(f"odds-{dom_id(change['outcome'])}", button)
                + _out_of_band(f"market-{dom_id(change['market'])}", status),
            )
        ]

    def _event_changed(self, page: Page, live: _Live, event: dict[str, Any]) -> list[str]:
        """The event's live line again, and, for each market whose status changed (a
        trader's suspension comes this way, not as odds), its status label and buttons."""
        line = self._render_part(page, "sports/_live.html", event=event)
        parts = [_out_of_band(f"live-{dom_id(event['id'])}", line)]
        for market in event["markets"]:
            if live.market_status.get(market["id"], market["status"]) == market["status"]:
                continue
            live.market_status[market["id"]] = market["status"]
            status = self._render_part(page, "sports/_market_status.html", market=market)
            parts.append(_out_of_band(f"market-{dom_id(market['id'])}", status))
            for outcome_id, entry in live.known.items():
                if entry["market"] == market["id"]:
                    button = self._render_part(
                        page, "sports/_outcome.html", outcome=entry["outcome"], market=market,
                        move=None,
                    )  # fmt: skip
                    parts.append(_out_of_band(f"odds-{dom_id(outcome_id)}", button))
        return [sse("live", "".join(parts))]

    async def my_bets(self, request: Request) -> Response:
        page = await self.site.page(request)
        if not page.viewer.signed_in:
            return self.site.sign_in_first(request, page)
        return await self._bets_page(request, page)

    async def bet(self, request: Request) -> Response:
        """One of the player's bets, as a statement row links to it: the same card as the
        history's. Another player's bet, or no bet, is the same 404."""
        page = await self.site.page(request)
        if not page.viewer.signed_in:
            return self.site.sign_in_first(request, page)
        bet_id = request.path_params["id"][:_ID_LENGTH_MAX]
        bet = None
        if int_of_text(bet_id, "Bet") is not None:
            variables = {"id": bet_id, "format": page.viewer.odds_format}
            result = await self.site.graphql.run(request, "MyBet", variables)
            bet = result.data.get("node")
        if not bet or "legs" not in bet:
            return self.site.render(
                page,
                "error.html",
                status=404,
                personal=True,
                title=page.gettext("Bet not found"),
                message=page.gettext("This bet is not one of yours."),
            )
        return self.site.render(
            page,
            "sports/bet.html",
            personal=True,
            bet=bet,
            tab="settled" if bet["settledAt"] else "open",
            new_key=lambda: "co-" + secrets.token_urlsafe(16),
        )

    async def _bets_page(
        self, request: Request, page: Page, *, status: int = 200, notice: str | None = None,
        problem: str | None = None, tab: str | None = None,
    ) -> Response:  # fmt: skip
        tab = tab or ("settled" if request.query_params.get("status") == "settled" else "open")
        variables = {
            "status": tab.upper(),
            "first": BETS_PAGE_SIZE,
            "after": None,
            "format": page.viewer.odds_format,
        }
        result = await self.site.graphql.run(request, "MyBets", variables)
        player = (result.data.get("viewer") or {}).get("player") or {}
        edges = (player.get("bets") or {}).get("edges") or []
        return self.site.render(
            page,
            "sports/bets.html",
            status=status,
            personal=True,
            tab=tab,
            bets=[edge["node"] for edge in edges],
            notice=notice,
            problem=problem,
            new_key=lambda: "co-" + secrets.token_urlsafe(16),
        )

    async def cash_out(self, request: Request) -> Response:
        """Cash out at the value the player saw (POST, CSRF-checked); a lower value now is
        refused by the API and the page shows the new one with a fresh button."""
        page = await self.site.page(request)
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        if not page.viewer.signed_in:
            return self.site.sign_in_first(request, page)
        variables = {
            "input": {
                "bet": str(form.get("bet") or "")[:_ID_LENGTH_MAX],
                "expectedValue": {
                    "amount": str(form.get("amount") or "")[:30],
                    "currency": str(form.get("currency") or "")[:3],
                },
                "idempotencyKey": str(form.get("idempotency_key") or "")[:200],
            }
        }
        result = await self.site.graphql.run(request, "CashOut", variables)
        payload = result.data["cashOut"]
        if not payload["errors"] and payload["payout"] is not None:
            paid = payload["payout"]
            notice = page.gettext("Cashed out: %(amount)s.") % {
                "amount": page.money(paid["amount"], paid["currency"])
            }
            return await self._bets_page(request, page, notice=notice, tab="open")
        error = payload["errors"][0] if payload["errors"] else {"code": "", "message": ""}
        if error["code"] == "CASH_OUT_VALUE_CHANGED" and payload["currentValue"]:
            value = payload["currentValue"]
            problem = page.gettext(
                "The cash-out value has changed to %(amount)s. Check it and cash out again."
            ) % {"amount": page.money(value["amount"], value["currency"])}
        elif error["code"] == "CASH_OUT_VALUE_CHANGED":
            problem = page.gettext("Cash-out is not available for this bet right now.")
        else:
            problem = refusal(page, error)
        return await self._bets_page(request, page, status=409, problem=problem, tab="open")


# Markets a race's card shows: its runners, in number order, then by finishing position.
RACE_MARKET_TYPES: Final = frozenset({"race_winner"})


def race_card(market: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A race market's runners for its card (None for other markets): each outcome with
    its number (its place on the card, as the market lists them), in number order; once
    resulted, by finishing position, non-runners last."""
    if market.get("type") not in RACE_MARKET_TYPES:
        return None
    runners = [{**outcome, "number": n} for n, outcome in enumerate(market["outcomes"], 1)]
    if market["status"] == "SETTLED":
        runners.sort(key=lambda r: (r["position"] is None, r["position"] or 0, r["number"]))
    return runners


def _picked(form: FormData) -> tuple[str, Decimal | None, str]:
    """The outcome, price and slip label a price button adds: its `pick` (outcome|odds|name)
    with its market's `market` label (sports/_market.html), or the fields `outcome`, `odds`
    and `label` (a page served before one form per market)."""
    pick = form.get("pick")
    if isinstance(pick, str):
        outcome, _, rest = pick.partition("|")
        odds, _, name = rest.partition("|")
        label = f"{form.get('market') or ''}: {name}"
    else:
        outcome, odds, label = (str(form.get(key) or "") for key in ("outcome", "odds", "label"))
    return outcome[:_ID_LENGTH_MAX], parse_odds(odds), label[:LABEL_LENGTH_MAX]


def _form_selections(form: FormData) -> list[tuple[str, str]]:
    selections = []
    for value in form.getlist("selection")[:SLIP_SELECTIONS_MAX]:
        if not isinstance(value, str):
            continue
        outcome, _, odds = value.partition("|")
        parsed = parse_odds(odds)
        if outcome and parsed is not None:
            selections.append((outcome[:_ID_LENGTH_MAX], str(parsed)))
    return selections


@dataclass
class _Live:
    """What one page's stream knows: each outcome (as last sent, with its market's id)
    and each market's status."""

    events: list[str] = field(default_factory=list)
    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    market_status: dict[str, str] = field(default_factory=dict)
    # Each event's status as last seen.
    status: dict[str, str] = field(default_factory=dict)

    def started(self, event: dict[str, Any]) -> bool:
        """Whether this update is the event going live (remembering its status)."""
        before = self.status.get(event["id"])
        self.status[event["id"]] = event["status"]
        return event["status"] == "LIVE" and before not in (None, "LIVE")


def _out_of_band(target_id: str, html: str) -> str:
    """`html` as the new content of the page's element `target_id`, swapped out of band by
    the page's one stream listener (sports/index.html): a page holds no listener per price,
    status or live line, so htmx has nothing to process for them at load."""
    return f'<div id="{target_id}" hx-swap-oob="innerHTML">{html}</div>'
