"""Trading desk, building the book: a trader creates an event (competition, sides, start
time in the brand's time zone) and adds its markets from the market templates (the
catalogue of market types the platform settles), each outcome priced by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from domain.sportsbook.markets.catalogue import MARKET_TYPES, MarketType
from web.backoffice import strings
from web.backoffice.console import (
    Console,
    Page,
    id_field,
    is_global_id,
    reason_of,
    text_field,
)
from web.site.client import OperationResult

AREA: Final = "trading"
# Rows offered for a market whose outcomes are the event's runners or participants
# (races, outrights), each a name and odds: the form's field cap leaves room for this many.
RUNNER_ROWS: Final = 10
# The line a template with specifiers starts from; the trader edits it.
DEFAULT_LINES: Final = {
    "total_goals": "total=2.5",
    "asian_handicap": "hcp=-0.5",
    "set_betting": "sets=3",
    "total_games": "total=22.5",
    "point_spread": "hcp=-4.5",
    "total_points": "total=210.5",
}
NAME_CHARS_MAX: Final = 200
OUTCOME_NAMES: Final = {"draw": "Draw", "over": "Over", "under": "Under", "yes": "Yes", "no": "No"}


@dataclass(frozen=True)
class OutcomeRow:
    """One line of the market form: a fixed outcome of the template (key and name given),
    or a runner row (its name typed; its key `r<number>`, its number on the race card)."""

    index: int
    key: str
    name: str
    fixed: bool


def templates_for(sport_key: str) -> list[MarketType]:
    """The templates of the event's sport; every template when the sport has none (a sport
    added by hand as `football-cup` matches by the part before its dash)."""
    keys = {sport_key, sport_key.split("-", 1)[0]}
    matching = [t for t in MARKET_TYPES.values() if t.sport in keys]
    return matching or list(MARKET_TYPES.values())


def outcome_name(key: str, event: dict[str, Any]) -> str:
    if key == "home" and event.get("home"):
        return str(event["home"])
    if key == "away" and event.get("away"):
        return str(event["away"])
    return OUTCOME_NAMES.get(key, key.replace("_", " ").capitalize())


def outcome_rows(template: MarketType, specifiers: str, event: dict[str, Any]) -> list[OutcomeRow]:
    if template.keys is None:
        return [OutcomeRow(index, f"r{index + 1}", "", fixed=False) for index in range(RUNNER_ROWS)]
    try:
        keys = template.outcome_keys(specifiers)
    except (KeyError, ValueError):
        keys = template.outcome_keys(DEFAULT_LINES.get(template.key, ""))
    return [
        OutcomeRow(index, key, outcome_name(key, event), fixed=True)
        for index, key in enumerate(keys)
    ]


def starts_at(text: str, time_zone: str) -> str | None:
    """A `datetime-local` value read in the brand's time zone, as an ISO time with its
    offset; None when it is not one."""
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        return None
    if local.tzinfo is not None or not text:
        return None
    return local.replace(tzinfo=ZoneInfo(time_zone)).isoformat()


def local_time(iso: str, time_zone: str) -> str:
    """An API time as the brand's staff read it: `2026-12-08 19:45 (Europe/Malta)`."""
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(time_zone))
    return f"{moment:%Y-%m-%d %H:%M} ({time_zone})"


def market_outcomes(form: FormData, rows: list[OutcomeRow]) -> list[dict[str, str]]:
    """The priced outcomes of the form: a row without odds is left out."""
    outcomes = []
    for row in rows:
        odds = text_field(form, f"odds-{row.index}", 20)
        name = row.name if row.fixed else text_field(form, f"name-{row.index}", NAME_CHARS_MAX)
        if odds:
            outcomes.append({"key": row.key, "name": name or row.key, "odds": odds})
    return outcomes


def place_terms(form: FormData, template: MarketType) -> dict[str, Any] | bool | None:
    """A race's each-way terms from the form: None without them, False when unreadable."""
    places = text_field(form, "places", 3)
    if not template.each_way or not places:
        return None
    if not places.isdigit():
        return False
    return {"places": int(places), "fraction": text_field(form, "fraction", 10) or "1/5"}


def refusal(result: OperationResult, field: str) -> str | None:
    """What an action's answer says went wrong: its payload's first typed error, or the
    request's own refusal (a value the schema did not accept, e.g. odds that are no
    decimal); None when it succeeded."""
    payload = result.data.get(field)
    errors = (payload or {}).get("errors") or []
    if errors:
        return str(errors[0]["message"])
    if payload is None:
        codes = ", ".join(result.error_codes) or "UNEXPECTED"
        return strings.TEXT["read_refused"].format(code=codes)
    return None


class TradingSetupPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def _open(self, request: Request, operation: str) -> tuple[Page, Response | None]:
        """The trading area, for a role that may run `operation` (a page that is only a
        form for an action is refused to a role that may not submit it)."""
        page, refused = await self.console.open_area(request, AREA)
        if refused is None and not self.console.needs.allows(operation, page.viewer.granted):
            refused = self.console.forbidden(page)
        return page, refused

    async def new_event(self, request: Request) -> Response:
        page, refused = await self._open(request, "CreateEvent")
        if refused is not None:
            return refused
        return await self._event_form(request, page)

    async def _event_form(
        self,
        request: Request,
        page: Page,
        *,
        status: int = 200,
        error: str | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        result = await self.console.run(request, "TradingCatalogue")
        sports = result.data.get("sports") or []
        return self.console.render(
            page,
            "trading_event_new.html",
            status=status,
            sports=sports,
            has_competitions=any(sport["competitions"] for sport in sports),
            values=values or {},
            error=error,
            starts_label=strings.TEXT["starts_at"].format(zone=page.brand.time_zone),
        )

    async def create_event(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "CreateEvent")
        if refused is not None:
            return refused
        values = {
            name: text_field(form, name, NAME_CHARS_MAX)
            for name in ("competition", "name", "home", "away", "starts_at", "reason")
        }
        competition = id_field(form, "competition", "Competition")
        starts = starts_at(values["starts_at"], page.brand.time_zone)
        problem = None
        if not reason_of(form):
            problem = "reason_required"
        elif starts is None:
            problem = "unreadable_time"
        elif competition is None or not values["name"]:
            problem = "invalid_input"
        if problem is not None:
            return await self._event_form(
                request, page, status=400, error=strings.TEXT[problem], values=values
            )
        result = await self.console.run(
            request,
            "CreateEvent",
            {
                "input": {
                    "competition": competition,
                    "name": values["name"],
                    "home": values["home"] or None,
                    "away": values["away"] or None,
                    "startsAt": starts,
                    "reason": reason_of(form),
                }
            },
        )
        error = refusal(result, "createEvent")
        if error is not None:
            return await self._event_form(request, page, status=400, error=error, values=values)
        event_id = result.data["createEvent"]["event"]["id"]
        return self.console.redirect(request, f"/trading/event/{event_id}?notice=event_created")

    async def _event(self, request: Request) -> dict[str, Any] | None:
        event_id = request.path_params["id"][:200]
        if not is_global_id(event_id, "SportsbookEvent"):
            return None
        result = await self.console.run(request, "TradingEvent", {"event": event_id})
        event = result.data.get("node")
        return event if event and event.get("id") == event_id else None

    async def event(self, request: Request) -> Response:
        """An event with its markets, and the form that adds one from a template."""
        page, refused = await self._open(request, "CreateMarket")
        if refused is not None:
            return refused
        return await self._event_page(request, page)

    async def _event_page(
        self,
        request: Request,
        page: Page,
        *,
        status: int = 200,
        error: str | None = None,
        chosen: dict[str, str] | None = None,
    ) -> Response:
        event = await self._event(request)
        if event is None:
            return self.console.not_found(page)
        chosen = chosen or {
            "template": request.query_params.get("template", "")[:64],
            "specifiers": request.query_params.get("specifiers", "")[:100],
        }
        templates = templates_for(event["competition"]["sport"]["key"])
        template = MARKET_TYPES.get(chosen["template"])
        specifiers = chosen["specifiers"] or DEFAULT_LINES.get(chosen["template"], "")
        return self.console.render(
            page,
            "trading_event.html",
            status=status,
            event=event,
            starts=local_time(event["startsAt"], page.brand.time_zone),
            templates=templates,
            market_template=template,
            specifiers=specifiers,
            market_name=chosen.get("name") or (template.name if template else ""),
            rows=outcome_rows(template, specifiers, event) if template else [],
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def create_market(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "CreateMarket")
        if refused is not None:
            return refused
        event = await self._event(request)
        if event is None:
            return self.console.not_found(page)
        chosen = {
            "template": text_field(form, "template", 64),
            "specifiers": text_field(form, "specifiers", 100),
            "name": text_field(form, "name", NAME_CHARS_MAX),
        }
        template = MARKET_TYPES.get(chosen["template"])
        problem: str | None = None
        if template is None:
            problem = "unknown_template"
        elif not reason_of(form):
            problem = "reason_required"
        else:
            outcomes = market_outcomes(form, outcome_rows(template, chosen["specifiers"], event))
            terms = place_terms(form, template)
            problem = "too_few_outcomes" if len(outcomes) < 2 else None
            problem = "invalid_input" if terms is False else problem
        if problem is not None or template is None:
            return await self._event_page(
                request, page, status=400, error=strings.TEXT[problem or "invalid_input"],
                chosen=chosen,
            )  # fmt: skip
        result = await self.console.run(
            request,
            "CreateMarket",
            {
                "input": {
                    "event": event["id"],
                    "type": template.key,
                    "name": chosen["name"] or template.name,
                    "specifiers": chosen["specifiers"],
                    "outcomes": outcomes,
                    "placeTerms": terms or None,
                    "reason": reason_of(form),
                }
            },
        )
        error = refusal(result, "createMarket")
        if error is not None:
            return await self._event_page(request, page, status=400, error=error, chosen=chosen)
        return self.console.redirect(request, f"/trading/event/{event['id']}?notice=market_created")
