"""The sportsbook in a real browser, on every brand: a registered player deposits, opens
/sports, adds a price to the bet slip (htmx), sees the potential return computed on the
server, places the bet in the brand's currency, and the balance on the page changes without
a reload. axe-core finds no serious or critical violation on /sports, with and without a
selection in the slip; /sports of each brand is photographed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from domain.kernel.db import Database
from domain.sportsbook.models import Market
from tests.browser.test_casino import _deposit
from tests.browser.test_site import BRANDS, _axe_violations, _new_page, _port, _register_and_sign_in
from tests.domain.sportsbook.support import BookMarket, add_market
from tests.schema.sportsbook.support import gid, publish_odds

# brand -> (stake typed into the slip, the potential return shown at odds 2.50)
STAKES = {
    "aurora": ("5.00", "€12.50"),
    "northstar": ("10", "25,00 kr"),
    "kumo": ("500", "¥1,250"),
}


@pytest.fixture
async def book(db: Database) -> BookMarket:
    """An event with a match result open for bets, and one whose main market (the one the
    list shows) is suspended. Odds are currency-free; stakes are typed in each brand's
    currency."""
    market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.80"})
    suspended = await add_market(db, {"over": "1.90", "under": "1.90"}, market_type="total")
    async with db.transaction() as uow:
        (await uow.session.get_one(Market, suspended.market_id)).status = "suspended"
    return market


@pytest.mark.parametrize("case", BRANDS, ids=[b[0] for b in BRANDS])
async def test_add_a_price_to_the_slip_and_place_a_bet(
    browser: Any,
    server: str,
    *,
    book: BookMarket,
    axe_script: Path,
    artifacts: Path,
    case: tuple[str, str | None, str, str],
) -> None:
    brand, country, amount, shown = case
    stake, potential = STAKES[brand]
    assert book.outcomes["home"]
    base = f"http://{brand}.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, country, f"bets@{brand}.example")
    await _deposit(page, context, base, amount, shown)

    await page.goto(f"{base}/sports")
    await page.evaluate("window.stillTheSamePage = true")
    sports_issues = await _axe_violations(page)
    # Said in words (in the brand's language), not only by colour; its prices are disabled.
    assert (await page.locator(".market-suspended").inner_text()).strip()
    assert await page.locator(".outcome-button:disabled").count() == 2
    await page.locator(".outcome-button", has_text="home").click()
    await page.locator("#bet-slip .slip-selection").wait_for()
    # The swapped slip is live once htmx has processed it (its stake box asks for previews).
    await page.wait_for_function(
        "() => document.querySelector('#slip-stake')?.['htmx-internal-data']?.initHash"
    )
    await page.fill("#slip-stake", stake)
    await page.locator("#slip-return", has_text=potential).wait_for()
    slip_issues = await _axe_violations(page)
    await page.screenshot(path=str(artifacts / f"{brand}-sports.png"), full_page=True)
    await page.click("#place-bet")
    await page.locator("#bet-receipt").wait_for()
    await page.wait_for_function(
        "(before) => document.querySelector('#balances [data-wallet=CASH]').textContent.trim()"
        " !== before",
        arg=shown,
    )

    assert await page.locator("#bet-receipt").get_attribute("data-bet")
    assert potential.replace(" ", "\xa0") in await page.locator("#bet-receipt").inner_text()
    assert await page.evaluate("window.stillTheSamePage") is True
    assert {"sports": sports_issues, "slip": slip_issues} == {"sports": [], "slip": []}
    assert problems == []
    await context.close()


async def test_a_price_moves_on_the_open_page_and_says_which_way(
    browser: Any, server: str, *, book: BookMarket, db: Database, axe_script: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await page.goto(f"{base}/sports")
    await page.evaluate("window.stillTheSamePage = true")
    home = page.locator(".outcome-button", has_text="home")
    assert "2.50" in await home.inner_text()
    # The page's event stream is open (htmx's SSE extension keeps its EventSource)...
    await page.wait_for_function(
        "() => document.querySelector('[sse-connect]')?.['htmx-internal-data']"
        "?.sseEventSource?.readyState === 1"
    )
    await asyncio.sleep(1.0)  # ...and its subscription is listening on the server.

    await publish_odds(db, book, "home", "3.00")

    moved = page.locator(".outcome-button", has_text="3.00")
    await moved.wait_for(timeout=15_000)
    text = await moved.text_content() or ""
    # The change is said in words for screen readers, not only by colour or an arrow.
    assert "odds up" in text
    assert await page.evaluate("window.stillTheSamePage") is True
    assert problems == []
    await context.close()


async def test_price_pushes_change_each_button_in_place_and_leave_the_slip_alone(
    browser: Any, server: str, *, book: BookMarket, db: Database, axe_script: Path
) -> None:
    """Signed in, with a selection in the slip: several odds pushes each change their own
    price button, and the slip (which the market's form targets) survives them all."""
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "pushes@aurora.example")
    await page.goto(f"{base}/sports")
    await page.locator(".outcome-button", has_text="draw").click()
    await page.locator("#bet-slip .slip-selection").wait_for()
    await page.wait_for_function(
        "() => document.querySelector('[sse-connect]')?.['htmx-internal-data']"
        "?.sseEventSource?.readyState === 1"
    )
    await asyncio.sleep(1.0)  # the stream's subscription is listening on the server
    buttons = await page.locator(".outcome-button").count()

    for key, odds in (("home", "3.00"), ("away", "2.60"), ("home", "3.40")):
        await publish_odds(db, book, key, odds)
        # The price is in its own button, inside its own list item.
        own = page.locator(
            f"li.outcome > .outcome-button[data-outcome='{gid('Outcome', book.outcomes[key])}']"
        )
        await own.locator(".outcome-price", has_text=odds).wait_for(timeout=15_000)

    assert await page.locator("#bet-slip .slip-selection").count() == 1
    assert await page.locator("#bet-slip #slip-stake").count() == 1
    assert await page.locator("#bet-slip .outcome-button").count() == 0
    assert await page.locator(".outcome-button").count() == buttons
    assert problems == []
    await context.close()


async def test_more_events_join_the_list_in_place_with_their_prices_live_and_the_slip_kept(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    """A full book's /sports shows one screen of events; "Show more events" brings the next
    ones into the same page, where their prices can be added and move as they change."""
    markets = [await add_market(db, {"home": "2.50", "away": "1.50"}) for _ in range(12)]
    last = markets[-1]
    card = f"[data-event='{gid('SportsbookEvent', last.event_id)}']"
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "more-events@aurora.example")
    await page.goto(f"{base}/sports")
    await page.locator(".outcome-button", has_text="home").first.click()
    await page.locator("#bet-slip .slip-selection").wait_for()
    await page.evaluate("window.stillTheSamePage = true")
    shown_before = await page.locator(".sports-event").count()
    last_before = await page.locator(card).count()

    await page.locator(".more-events a").click()

    await page.locator(card).wait_for()
    await page.wait_for_function(
        "() => document.querySelector('[sse-connect]')?.['htmx-internal-data']"
        "?.sseEventSource?.readyState === 1"
    )
    await asyncio.sleep(1.0)  # the new stream's subscription is listening on the server
    assert (shown_before, last_before) == (10, 0)
    assert await page.locator(".sports-event").count() > 10
    assert "shown=20" in page.url
    assert await page.evaluate("window.stillTheSamePage") is True
    assert await page.locator("#bet-slip .slip-selection").count() == 1
    await publish_odds(db, last, "home", "3.00")
    await page.locator(f"{card} .outcome-button", has_text="3.00").wait_for(timeout=15_000)
    await page.locator(f"{card} .outcome-button", has_text="away").click()
    await page.locator("#bet-slip .slip-selection").nth(1).wait_for()
    assert await _axe_violations(page) == []
    assert problems == []
    await context.close()
