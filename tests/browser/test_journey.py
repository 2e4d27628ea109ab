"""The whole player journey in one go, on every brand: register → deposit → play a round of
an Originals game → place a bet, while one /account tab, never navigated nor reloaded after
sign-in, shows the balance change after each step (server-sent events). The acting happens
in a second tab of the same session, through the journeys of test_site, test_casino and
test_sports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser import test_casino as casino
from tests.browser import test_sports as sports
from tests.browser.test_casino import _deposit
from tests.browser.test_site import BRANDS, _new_page, _port, _register_and_sign_in
from tests.domain.sportsbook.support import BookMarket

CASH = "#balances [data-wallet=CASH]"

# The fixtures of the casino and sportsbook journeys: Originals enabled on every brand, and
# an event with a match result open for bets.
originals = casino.originals
book = sports.book


async def _settled_cash(actions: Any, base: str) -> str:
    """The cash balance as the server has it now, freshly rendered in the acting tab (a round
    moves money twice, bet then win, so a live view may pass through a halfway figure)."""
    await actions.goto(f"{base}/account")
    return str(await actions.locator(CASH).inner_text()).strip()


async def _shows(watched: Any, cash: str) -> None:
    """Waits for exactly `cash` (not a figure merely containing it) on the watching tab."""
    await expect(watched.locator(CASH)).to_have_text(cash, timeout=10_000)


@pytest.mark.parametrize("case", BRANDS, ids=[b[0] for b in BRANDS])
async def test_deposit_play_a_round_and_bet_while_one_tab_watches_the_balance(
    browser: Any,
    server: str,
    *,
    book: BookMarket,
    axe_script: Path,
    case: tuple[str, str | None, str, str],
) -> None:
    brand, country, amount, shown = case
    stake, potential = sports.STAKES[brand]
    assert book.outcomes["home"]
    base = f"http://{brand}.localhost:{_port(server)}"
    context, watched, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(watched, base, country, f"journey@{brand}.example")
    # From here on the /account tab only watches: any navigation of it fails the test.
    await watched.evaluate("window.stillTheSamePage = true")
    navigations: list[str] = []
    watched.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == watched.main_frame else None,
    )
    start = (await watched.locator(CASH).inner_text()).strip()
    actions = await context.new_page()

    # Deposit (the test PSP's checkout opens in a third tab).
    await _deposit(actions, context, base, amount, shown)
    await _shows(watched, shown)
    assert shown != start

    # One real-money round of Originals Dice, in the game's iframe.
    await actions.goto(f"{base}/casino/originals-dice?provider=stakehouse-originals")
    game = actions.frame_locator("#game-frame")
    await game.locator("#roll").click()
    await game.locator("#verdict:not(:empty)").wait_for()
    assert await actions.locator("#game-mode").get_attribute("data-mode") == "REAL"
    after_round = await _settled_cash(actions, base)
    assert after_round != shown
    await _shows(watched, after_round)

    # A bet on the home win, placed from the slip on /sports.
    await actions.goto(f"{base}/sports")
    await actions.locator(".outcome-button", has_text="home").click()
    await actions.locator("#bet-slip .slip-selection").wait_for()
    await actions.wait_for_function(
        "() => document.querySelector('#slip-stake')?.['htmx-internal-data']?.initHash"
    )
    await actions.fill("#slip-stake", stake)
    await actions.locator("#slip-return", has_text=potential).wait_for()
    await actions.click("#place-bet")
    await actions.locator("#bet-receipt").wait_for()
    after_bet = await _settled_cash(actions, base)
    assert after_bet != after_round
    await _shows(watched, after_bet)

    assert navigations == []
    assert await watched.evaluate("window.stillTheSamePage") is True
    assert problems == []
    await context.close()
