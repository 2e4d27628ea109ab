"""Live scores in a real browser: a bettor has /sports (or an event page) open with a
selection in the slip; a trader sets the score over GraphQL and the score and match clock
change in place, without a reload, while the slip keeps its selection. A market the trader
suspends (an `eventUpdated`, not an odds change) shows suspended in place on the event page."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.kernel.db import Database
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in
from tests.domain.sportsbook.support import BookMarket, add_market
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.sportsbook.support import gid
from tests.support import AURORA, Api

WHY = {"reason": "Trading desk"}
ERRORS = "errors { code field message }"
EDIT_EVENT = f"""mutation($i: EditEventInput!) {{ editEvent(input: $i) {{
  event {{ id status }} {ERRORS} }} }}"""
SET_SCORE = f"""mutation($i: SetEventScoreInput!) {{ setEventScore(input: $i) {{
  event {{ id score clock }} {ERRORS} }} }}"""
SUSPEND_MARKET = f"""mutation($i: MarketSuspensionInput!) {{ suspendMarket(input: $i) {{
  market {{ id status }} {ERRORS} }} }}"""
# The score as the page writes it: home, an en dash, away.
DASH = "\N{EN DASH}"
STREAM_OPEN = (
    "() => document.querySelector('[sse-connect]')?.['htmx-internal-data']"
    "?.sseEventSource?.readyState === 1"
)


def score(home: int, away: int) -> str:
    return f"{home}{DASH}{away}"


async def _ok(api: Api, document: str, values: dict[str, Any]) -> dict[str, Any]:
    body = (await api.query(document, {"i": {**values, **WHY}})).data
    payload = next(iter(body.values()))
    assert payload["errors"] == [], payload
    return dict(payload)


@pytest.fixture
async def live(server: str, db: Database) -> tuple[BookMarket, Api]:
    """A live match with its result market open, and a trader of the brand."""
    market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.80"})
    trader = await signed_in_staff(Api(server, AURORA), db, "live-desk@op.example", ["trader"])
    event = gid("SportsbookEvent", market.event_id)
    await _ok(trader, EDIT_EVENT, {"event": event, "status": "LIVE"})
    await _ok(
        trader, SET_SCORE, {"event": event, "home": 0, "away": 0, "period": "1H", "minute": 12}
    )
    return market, trader


async def _stream_listening(page: Any) -> None:
    await page.wait_for_function(STREAM_OPEN)
    await asyncio.sleep(1.0)  # the stream's subscriptions are listening on the server


async def test_a_score_changes_in_place_on_the_list_and_the_event_page_and_the_slip_stays(
    browser: Any, server: str, *, live: tuple[BookMarket, Api], axe_script: Any
) -> None:
    market, trader = live
    event = gid("SportsbookEvent", market.event_id)
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "live@aurora.example")
    await page.goto(f"{base}/sports")
    line = page.locator(f"[data-live='{event}']")
    assert score(0, 0) in await line.inner_text()
    assert "12" in await line.locator(".event-clock").inner_text()
    await page.locator(".outcome-button", has_text="home").click()
    await page.locator("#bet-slip .slip-selection").wait_for()
    await page.evaluate("window.stillTheSamePage = true")
    await _stream_listening(page)

    await _ok(
        trader, SET_SCORE, {"event": event, "home": 1, "away": 0, "period": "1H", "minute": 23}
    )

    await line.locator(".event-score", has_text=score(1, 0)).wait_for(timeout=15_000)
    assert "23" in await line.locator(".event-clock").inner_text()
    assert await page.evaluate("window.stillTheSamePage") is True
    assert await page.locator("#bet-slip .slip-selection").count() == 1
    assert "home" in await page.locator("#bet-slip .slip-selection").inner_text()
    # The swapped line is accessible, and on a 360 px phone the page does not scroll sideways.
    assert await _axe_violations(page) == []
    await page.set_viewport_size({"width": 360, "height": 740})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert await line.locator(".event-score").is_visible()

    # The event page: the same in place, with the slip (a cookie) still holding it.
    await page.goto(f"{base}/sports/event/{event}")
    line = page.locator(f"[data-live='{event}']")
    assert score(1, 0) in await line.inner_text()
    assert await page.locator("#bet-slip .slip-selection").count() == 1
    await page.evaluate("window.stillTheSamePage = true")
    await _stream_listening(page)

    await _ok(
        trader, SET_SCORE, {"event": event, "home": 1, "away": 1, "period": "2H", "minute": 61}
    )

    await line.locator(".event-score", has_text=score(1, 1)).wait_for(timeout=15_000)
    assert "61" in await line.locator(".event-clock").inner_text()
    assert "2H" in await line.locator(".event-clock").inner_text()
    assert await page.evaluate("window.stillTheSamePage") is True
    assert await page.locator("#bet-slip .slip-selection").count() == 1
    assert problems == []
    await context.close()


async def test_a_market_the_trader_suspends_shows_suspended_in_place_on_the_event_page(
    browser: Any, server: str, *, live: tuple[BookMarket, Api], axe_script: Any
) -> None:
    market, trader = live
    event = gid("SportsbookEvent", market.event_id)
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await page.goto(f"{base}/sports/event/{event}")
    assert await page.locator(".market-suspended").count() == 0
    assert await page.locator(".outcome-button:disabled").count() == 0
    await page.evaluate("window.stillTheSamePage = true")
    await _stream_listening(page)

    await _ok(trader, SUSPEND_MARKET, {"market": gid("Market", market.market_id)})

    await page.locator(".market-suspended").wait_for(timeout=15_000)
    # Said in words, and its prices can no longer be pressed.
    assert (await page.locator(".market-suspended").inner_text()).strip()
    await page.wait_for_function(
        "() => document.querySelectorAll('.outcome-button:disabled').length === 3"
    )
    assert await page.evaluate("window.stillTheSamePage") is True
    assert problems == []
    await context.close()


async def test_an_event_a_trader_starts_moves_under_in_play_without_a_reload_and_the_slip_stays(
    browser: Any, server: str, db: Database, axe_script: Any
) -> None:
    market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.80"})
    trader = await signed_in_staff(Api(server, AURORA), db, "start-desk@op.example", ["trader"])
    event = gid("SportsbookEvent", market.event_id)
    card = f"[data-event='{event}']"
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "starts@aurora.example")
    await page.goto(f"{base}/sports")
    upcoming_before = await page.locator(f"#upcoming {card}").count()
    in_play_before = await page.locator(f"#in-play {card}").count()
    await page.locator(f"{card} .outcome-button", has_text="home").click()
    await page.locator("#bet-slip .slip-selection").wait_for()
    await page.evaluate("window.stillTheSamePage = true")
    await _stream_listening(page)

    await _ok(trader, EDIT_EVENT, {"event": event, "status": "LIVE"})

    await page.locator(f"#in-play {card}").wait_for(timeout=15_000)
    assert (upcoming_before, in_play_before) == (1, 0)
    assert await page.locator(f"#upcoming {card}").count() == 0
    assert await page.locator(card).count() == 1
    assert "Live" in await page.locator(f"#in-play {card} .event-live").inner_text()
    assert await page.locator("#in-play-heading").is_visible()
    assert await page.evaluate("window.stillTheSamePage") is True
    assert await page.locator("#bet-slip .slip-selection").count() == 1
    assert "home" in await page.locator("#bet-slip .slip-selection").inner_text()
    # The moved card still follows the stream: a score lands in place, a price can be added.
    await _ok(
        trader, SET_SCORE, {"event": event, "home": 1, "away": 0, "period": "1H", "minute": 4}
    )
    await page.locator(f"#in-play {card} .event-score", has_text=score(1, 0)).wait_for(
        timeout=15_000
    )
    await page.locator(f"#in-play {card} .outcome-button", has_text="away").click()
    await page.locator("#bet-slip .slip-selection", has_text=": away").wait_for()
    assert await _axe_violations(page) == []
    await page.set_viewport_size({"width": 360, "height": 740})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert await page.evaluate("window.stillTheSamePage") is True
    assert problems == []
    await context.close()
