"""The trading desk in the console: a trader creates an event (its start time read in the
brand's time zone) and a market from a template, a bettor backs it, the trader results it
through a confirm step that shows the payout before anything changes, and the bettor is
paid; a settled market is resettled; a void returns the stakes; roles without market.trade
are refused, and a reason is always asked."""

from __future__ import annotations

import re
import uuid
from typing import Any

from domain.kernel.db import Database
from tests.schema.sportsbook.support import cash_of, signed_in_bettor
from tests.schema.sportsbook.test_booking import (
    CREATE_COMPETITION,
    CREATE_SPORT,
    _bet,
    _ok,
    _trader,
)
from tests.support import AURORA
from tests.web.backoffice.support import signed_in_console
from tests.web.site.support import SiteClient

_EVENT = re.compile(r"/trading/event/([A-Za-z0-9=_\-]+)\?notice=event_created")
MARKET_OUTCOMES = """query($id: ID!) { node(id: $id) { ... on SportsbookEvent {
  markets { id name type status outcomes { id key name odds } } } } }"""
BET_STATUS = """query($id: ID!) { node(id: $id) { ... on Bet { status payout { amount } } } }"""


async def _competition(server: str, db: Database) -> str:
    trader_api = await _trader(server, db)
    sport = await _ok(trader_api, CREATE_SPORT, {"key": f"football-{uuid.uuid4().hex[:6]}",
                                                 "name": "Football"})  # fmt: skip
    competition = await _ok(
        trader_api,
        CREATE_COMPETITION,
        {"sport": sport["id"], "key": "desk-league", "name": "Desk League", "country": "MT"},
    )
    await trader_api.aclose()
    return str(competition["id"])


async def _event_with_market(console: SiteClient, competition: str) -> tuple[str, str]:
    """Through the console's forms: the event, then a match result market on it."""
    created = await console.post(
        "/trading/events/new",
        {
            "competition": competition,
            "name": "Valletta v Birkirkara",
            "home": "Valletta",
            "away": "Birkirkara",
            "starts_at": "2031-06-01T20:45",
            "reason": "fixture list",
        },
    )
    assert created.status_code == 303, created.text
    found = _EVENT.search(created.headers["location"])
    assert found is not None
    event_id = found.group(1)
    form = await console.get(f"/trading/event/{event_id}?template=match_result")
    assert form.status_code == 200
    added = await console.post(
        f"/trading/event/{event_id}/markets",
        {"template": "match_result", "name": "Match result", "specifiers": "",
         "odds-0": "2.40", "odds-1": "3.10", "odds-2": "2.90", "reason": "opening prices"},
    )  # fmt: skip
    assert added.status_code == 303, added.text
    return event_id, form.text


async def _market(console_api: Any, event_id: str) -> dict[str, Any]:
    body = (await console_api.query(MARKET_OUTCOMES, {"id": event_id})).data
    (market,) = body["node"]["markets"]
    assert isinstance(market, dict)
    return market


async def test_a_trader_creates_an_event_and_market_then_results_it_after_seeing_the_payout(
    server: str, db: Database
) -> None:
    competition = await _competition(server, db)
    console = await signed_in_console(server, db, "desk@op.example", ["trader"])
    new_event = await console.get("/trading/events/new")
    event_id, market_form = await _event_with_market(console, competition)
    event_page = await console.get(f"/trading/event/{event_id}?notice=market_created")
    bettor, bettor_id = await signed_in_bettor(server, AURORA, db, currency="GBP")
    market = await _market(bettor, event_id)
    ids = {o["key"]: o["id"] for o in market["outcomes"]}
    placed = await _bet(bettor, ids["home"], "2.40", amount="10.00")
    cash_before = await cash_of(db, bettor_id)

    path = f"/trading/market/{market['id']}/result"
    home_win = {"mode": "result", "result-home": "WIN", "result-draw": "LOSE",
                "result-away": "LOSE", "reason": "full time 2-1"}  # fmt: skip
    review = await console.post(path, {**home_win, "step": "review"})
    cash_at_review = await cash_of(db, bettor_id)
    settled = await console.post(path, {**home_win, "step": "confirm"})
    bet = (await bettor.query(BET_STATUS, {"id": placed["bet"]["id"]})).data["node"]
    after = await console.get(settled.headers["location"])

    assert "Desk League" in new_event.text and "Europe/Malta" in new_event.text
    # 20:45 in Malta in June is 18:45 UTC; the event page shows the brand's time back.
    assert "2031-06-01 20:45 (Europe/Malta)" in event_page.text
    assert "The market was created" in event_page.text
    assert 'id="odds-2"' in market_form and "Birkirkara" in market_form
    assert [(o["key"], o["name"], o["odds"]) for o in market["outcomes"]] == [
        ("home", "Valletta", "2.4000"), ("draw", "Draw", "3.1000"),
        ("away", "Birkirkara", "2.9000"),
    ]  # fmt: skip
    assert placed["errors"] == []
    assert review.status_code == 200
    assert re.search(r'id="confirm-payout">\s*24\.00 GBP', review.text), review.text
    assert cash_at_review == cash_before  # the review changed nothing
    assert settled.status_code == 303
    assert bet == {"status": "WON", "payout": {"amount": "24.00"}}
    assert await cash_of(db, bettor_id) == cash_before + 24_00
    assert "The market was resulted" in after.text and 'id="market-status">settled' in after.text
    await bettor.aclose()
    await console.aclose()


async def test_a_settled_market_is_resettled_and_a_voided_market_returns_the_stake(
    server: str, db: Database
) -> None:
    competition = await _competition(server, db)
    console = await signed_in_console(server, db, "desk2@op.example", ["trader"])
    event_id, _ = await _event_with_market(console, competition)
    bettor, bettor_id = await signed_in_bettor(server, AURORA, db, currency="GBP")
    market = await _market(bettor, event_id)
    ids = {o["key"]: o["id"] for o in market["outcomes"]}
    start = await cash_of(db, bettor_id)
    placed = await _bet(bettor, ids["draw"], "3.10", amount="10.00")
    path = f"/trading/market/{market['id']}/result"
    losing = {"mode": "result", "result-home": "WIN", "result-draw": "LOSE",
              "result-away": "LOSE", "reason": "first report"}  # fmt: skip
    await console.post(path, {**losing, "step": "confirm"})
    settled_page = await console.get(path)

    corrected = await console.post(
        path, {**losing, "result-home": "LOSE", "result-draw": "WIN", "step": "confirm",
               "reason": "scores corrected: 1-1"},
    )  # fmt: skip
    after_resettle = await cash_of(db, bettor_id)
    voided_review = await console.post(path, {"mode": "void", "step": "review", "reason": "x"})
    voided = await console.post(
        path, {"mode": "void", "step": "confirm", "reason": "match abandoned"}
    )
    bet = (await bettor.query(BET_STATUS, {"id": placed["bet"]["id"]})).data["node"]

    assert "Resulting it again corrects every bet" in settled_page.text
    assert corrected.status_code == 303, corrected.text
    assert after_resettle == start - 10_00 + 31_00
    assert "its stake goes back to the bettor" in voided_review.text
    assert voided.status_code == 303, voided.text
    assert bet["status"] == "VOID"  # a void market voids its bets, stakes back once
    assert await cash_of(db, bettor_id) == start
    await bettor.aclose()
    await console.aclose()


async def test_the_desk_asks_a_reason_and_refuses_roles_without_market_trade(
    server: str, db: Database
) -> None:
    competition = await _competition(server, db)
    trader = await signed_in_console(server, db, "desk3@op.example", ["trader"])
    finance = await signed_in_console(server, db, "desk-fin@op.example", ["finance"])
    event_id, _ = await _event_with_market(trader, competition)
    no_reason = await trader.post(
        "/trading/events/new",
        {"competition": competition, "name": "No reason", "starts_at": "2031-06-01T20:45"},
    )
    bad_time = await trader.post(
        "/trading/events/new",
        {"competition": competition, "name": "Bad time", "starts_at": "soon", "reason": "r"},
    )
    bad_odds = await trader.post(
        f"/trading/event/{event_id}/markets",
        {"template": "match_result", "odds-0": "two", "odds-1": "3.10", "reason": "r"},
    )

    refused_page = await finance.get("/trading/events/new")
    refused_post = await finance.post(
        "/trading/events/new",
        {"competition": competition, "name": "Forced", "starts_at": "2031-06-01T20:45",
         "reason": "forced"},
    )  # fmt: skip

    assert no_reason.status_code == 400 and "reason" in no_reason.text.lower()
    assert bad_time.status_code == 400 and "A time could not be read" in bad_time.text
    assert bad_odds.status_code == 400 and 'role="alert"' in bad_odds.text
    assert refused_page.status_code == 403 and refused_post.status_code == 403
    events = (await trader.get("/trading")).text
    assert "Forced" not in events and "No reason" not in events
    await trader.aclose()
    await finance.aclose()


def test_the_market_form_offers_the_sports_templates_with_the_event_sides() -> None:
    from web.backoffice.trading_setup import outcome_rows, templates_for

    football = [t.key for t in templates_for("football-x1")]
    rows = outcome_rows(
        next(t for t in templates_for("football") if t.key == "match_result"),
        "",
        {"home": "Valletta", "away": "Birkirkara"},
    )

    assert "match_result" in football and "moneyline" not in football
    assert [(r.key, r.name) for r in rows] == [
        ("home", "Valletta"), ("draw", "Draw"), ("away", "Birkirkara"),
    ]  # fmt: skip


def test_a_start_time_is_read_in_the_brands_time_zone_across_summer_time() -> None:
    from web.backoffice.trading_setup import local_time, starts_at

    assert starts_at("2031-01-15T20:45", "Europe/Malta") == "2031-01-15T20:45:00+01:00"
    assert starts_at("2031-06-01T20:45", "Europe/Malta") == "2031-06-01T20:45:00+02:00"
    assert starts_at("soon", "Europe/Malta") is None
    assert starts_at("2031-06-01T20:45+00:00", "Europe/Malta") is None  # local times only
    assert local_time("2031-06-01T18:45:00+00:00", "Europe/Malta") == (
        "2031-06-01 20:45 (Europe/Malta)"
    )


def test_the_confirm_steps_payout_counts_only_the_winning_outcomes_per_currency() -> None:
    from web.backoffice.resulting import payout

    def row(outcome: str, *amounts: tuple[str, str]) -> dict[str, Any]:
        return {
            "outcome": {"id": outcome},
            "liabilities": [{"amount": a, "currency": c} for a, c in amounts],
        }

    rows = [
        row("home", ("24.00", "GBP"), ("5.10", "EUR")),
        row("draw", ("31.00", "GBP")),
        row("away", ("2.90", "EUR")),
    ]

    assert payout(rows, {"home": "WIN", "draw": "HALF_WIN", "away": "WIN"}) == [
        {"amount": "8.00", "currency": "EUR"},
        {"amount": "24.00", "currency": "GBP"},
    ]
    assert payout(rows, {"home": "LOSE", "draw": "VOID", "away": "LOSE"}) == []


async def test_a_trader_builds_a_race_each_way_and_results_it_with_finishing_positions(
    server: str, db: Database
) -> None:
    trader_api = await _trader(server, db)
    sport = await _ok(trader_api, CREATE_SPORT, {"key": f"horse_racing-{uuid.uuid4().hex[:6]}",
                                                 "name": "Horse racing"})  # fmt: skip
    course = await _ok(
        trader_api,
        CREATE_COMPETITION,
        {"sport": sport["id"], "key": "ascot", "name": "Ascot", "country": "GB"},
    )
    console = await signed_in_console(server, db, "desk-race@op.example", ["trader"])
    created = await console.post(
        "/trading/events/new",
        {"competition": course["id"], "name": "3:15 Ascot", "starts_at": "2031-06-01T15:15",
         "reason": "race card"},
    )  # fmt: skip
    event_id = created.headers["location"].split("/trading/event/", 1)[1].split("?", 1)[0]
    form = await console.get(f"/trading/event/{event_id}?template=race_winner")
    runners = {f"name-{n}": f"Runner {chr(65 + n)}" for n in range(5)}
    prices = {f"odds-{n}": odds for n, odds in enumerate(("3.00", "5.00", "6.00", "8.00", "9.00"))}
    added = await console.post(
        f"/trading/event/{event_id}/markets",
        {"template": "race_winner", "name": "Win", "specifiers": "", "places": "2",
         "fraction": "1/4", "reason": "race card", **runners, **prices},
    )  # fmt: skip
    bettor, bettor_id = await signed_in_bettor(server, AURORA, db, currency="GBP")
    market = await _market(bettor, event_id)
    ids = {o["key"]: o["id"] for o in market["outcomes"]}
    placed = await _bet(bettor, ids["r2"], "5.00", amount="5.00", each_way=True)
    before = await cash_of(db, bettor_id)
    finish = {f"result-r{n}": "WIN" if n == 1 else "LOSE" for n in range(1, 6)}
    finish |= {f"place-r{n}": str(n) for n in range(1, 6)}
    path = f"/trading/market/{market['id']}/result"

    result_form = await console.get(path)
    review = await console.post(path, {**finish, "mode": "result", "step": "review",
                                       "reason": "official result"})  # fmt: skip
    settled = await console.post(path, {**finish, "mode": "result", "step": "confirm",
                                        "reason": "official result"})  # fmt: skip
    bet = (await bettor.query(BET_STATUS, {"id": placed["bet"]["id"]})).data["node"]

    assert "Each-way terms" in form.text and 'id="name-9"' in form.text
    assert added.status_code == 303, added.text
    assert [(o["key"], o["name"]) for o in market["outcomes"]][:2] == [
        ("r1", "Runner A"), ("r2", "Runner B"),
    ]  # fmt: skip
    assert placed["errors"] == []
    assert 'name="place-r2"' in result_form.text
    assert 'name="place-r2" value="2"' in review.text and "place parts" in review.text
    assert settled.status_code == 303, settled.text
    # The win part loses; the place part (2nd of 2 places) pays 5.00 at (5.00 - 1) / 4 + 1.
    assert bet["payout"] == {"amount": "10.00"}
    assert await cash_of(db, bettor_id) == before + 10_00
    await trader_api.aclose()
    await bettor.aclose()
    await console.aclose()
