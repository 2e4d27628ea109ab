"""A race card in a real browser: from /sports a player opens a race a trader built, reads
each runner's number and price and the each-way terms, backs a runner each-way from the
card, and after the trader results the race the card shows where each runner finished and
which did not run; the statement's payout row opens the bet, which says where it placed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.kernel.db import Database
from tests.browser.test_each_way import _race_event, _slip_ready
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in
from tests.schema.sportsbook.test_booking import RESULT_MARKET, _ids, _ok, _trader
from tests.schema.sportsbook.test_each_way import _race
from tests.web.site.test_translations import _fund


async def test_a_player_opens_a_race_card_from_sports_backs_a_runner_each_way_and_sees_the_result(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    trader = await _trader(server, db)
    race = await _race(trader)
    runners = _ids(race)
    event_id = await _race_event(trader, race)
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    email = "race-card@aurora.example"
    await _register_and_sign_in(page, base, "MT", email)
    await _fund(db, email, 50_00)

    await page.goto(f"{base}/sports")
    await page.locator(f"[data-event='{event_id}'] .race-card-link a").click()
    await page.locator(".race-card").wait_for()
    numbers = await page.locator(".race-card .runner-number").all_inner_texts()
    terms = await page.locator(".race-card .race-terms").inner_text()
    price = await page.locator("[data-runner] .outcome-button", has_text="Runner r2").inner_text()
    card_axe = await _axe_violations(page)
    await page.set_viewport_size({"width": 360, "height": 740})
    card_width = await page.evaluate("document.documentElement.scrollWidth")
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.locator(".outcome-button", has_text="Runner r2").click()
    await _slip_ready(page)
    await page.check("#slip-each-way")
    await page.fill("#slip-stake", "5.00")
    # Win part 5 x 11.00 = 55.00, place part 5 x 3.00 = 15.00; the stake is doubled.
    await page.locator("#slip-return", has_text="€70.00").wait_for()
    await page.click("#place-bet")
    await page.locator("#bet-receipt").wait_for()
    receipt = await page.locator("#bet-receipt").inner_text()

    order = ["r1", "r2", "r3", "r4"]
    results = [
        {"outcome": runners[key], "result": "WIN" if position == 1 else "LOSE", "place": position}
        for position, key in enumerate(order, start=1)
    ]
    results.append({"outcome": runners["r5"], "result": "VOID"})  # a non-runner
    await _ok(trader, RESULT_MARKET, {"market": race["id"], "outcomes": results})
    await page.goto(f"{base}/sports/event/{event_id}")
    finished = await page.locator(".race-card .runner").all_inner_texts()
    result_axe = await _axe_violations(page)
    await page.goto(f"{base}/account/bets?status=settled")
    history = await page.locator(".bet").first.inner_text()
    # The statement's payout row opens the bet it paid.
    await page.goto(f"{base}/account/transactions")
    await page.locator("td[data-kind='sportsbook.payout'] a").click()
    await page.locator("article.bet").wait_for()
    opened = await page.locator("article.bet").inner_text()
    opened_axe = await _axe_violations(page)
    await page.set_viewport_size({"width": 360, "height": 740})
    opened_width = await page.evaluate("document.documentElement.scrollWidth")

    assert numbers == ["1", "2", "3", "4", "5"]
    assert terms == "Each way: 3 places at 1/5 of the odds"
    assert "11.00" in price
    assert card_axe == [] and card_width <= 360
    assert "€70.00" in receipt.replace("\xa0", " ")
    # By finishing position, the non-runner last, each with its card number.
    assert [" ".join(text.split()) for text in finished] == [
        "1 Runner r1 Finished 1st",
        "2 Runner r2 Finished 2nd",
        "3 Runner r3 Finished 3rd",
        "4 Runner r4 Finished 4th",
        "5 Runner r5 Non-runner",
    ]
    assert result_axe == []
    # 5.00 at the place odds (11.00 - 1) / 5 + 1 = 3.00.
    assert "Placed 2nd — each-way terms 1/5 for 3 places" in history
    assert "€15.00" in history.replace("\xa0", " ")
    assert "Placed 2nd — each-way terms 1/5 for 3 places" in opened
    assert opened_axe == [] and opened_width <= 360
    assert problems == []
    await context.close()
