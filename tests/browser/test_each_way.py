"""Each-way in a real browser: a trader builds a race over the API; a player opens the
race's page, adds a runner to the slip, ticks each-way (offered only where the market has
place terms), sees the doubled stake and both parts' return, and places the bet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from domain.kernel.db import Database
from domain.sportsbook.models import Bet
from tests.browser.test_site import _new_page, _port, _register_and_sign_in
from tests.schema.sportsbook.test_booking import _ids, _match_result, _trader
from tests.schema.sportsbook.test_each_way import _race
from tests.web.site.test_translations import _fund


async def _slip_ready(page: Any) -> None:
    """The swapped slip is live once htmx has processed it."""
    await page.locator("#bet-slip .slip-selection").wait_for()
    await page.wait_for_function(
        "() => document.querySelector('#slip-stake')?.['htmx-internal-data']?.initHash"
    )


async def test_a_player_places_an_each_way_bet_on_a_race_a_trader_built(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    trader = await _trader(server, db)
    race = await _race(trader)
    event_id = await _race_event(trader, race)
    match = await _match_result(trader, {"id": event_id})
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    email = "each-way@aurora.example"
    await _register_and_sign_in(page, base, "MT", email)
    await _fund(db, email, 50_00)

    await page.goto(f"{base}/sports/event/{event_id}")
    await page.locator(".outcome-button", has_text="Runner r2").click()
    await _slip_ready(page)
    await page.check("#slip-each-way")
    await page.fill("#slip-stake", "5.00")
    # Win part 5 x 11.00 = 55.00, place part 5 x 3.00 = 15.00; the stake is doubled.
    await page.locator("#slip-return", has_text="€70.00").wait_for()
    total = await page.locator("#slip-return").inner_text()
    await page.click("#place-bet")
    await page.locator("#bet-receipt").wait_for()
    receipt = await page.locator("#bet-receipt").inner_text()
    # A market without place terms offers no each-way.
    await page.locator(".outcome-button", has_text="Home").click()
    await page.locator("#bet-slip .slip-selection", has_text="Home").wait_for()
    offered_on_match = await page.locator("#slip-each-way").count()

    assert "€10.00" in total
    assert "€70.00" in receipt.replace("\xa0", " ")
    assert offered_on_match == 0
    assert list(_ids(match)) == ["home", "draw", "away"]
    async with db.uow() as uow:
        bets = list(await uow.session.scalars(select(Bet).where(Bet.each_way.is_(True))))
    assert [(b.each_way, b.stake_minor, b.total_stake_minor) for b in bets] == [(True, 5_00, 10_00)]
    assert problems == []
    await context.close()


RACE_EVENT = """query($m: ID!) { node(id: $m) { ... on Market { event { id } } } }"""


async def _race_event(trader: Any, race: dict[str, Any]) -> str:
    found = await trader.query(RACE_EVENT, {"m": race["id"]})
    return str(found.data["node"]["event"]["id"])
