"""The casino in a real browser, on every brand: register, deposit, search the lobby for
"dice", open Originals Dice and play one real-money round in its iframe; the balance shown
next to the game changes without a reload. axe-core finds no serious or critical violation
on the lobby and the game page; the lobby of each brand is photographed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from tests.browser.test_site import BRANDS, _axe_violations, _new_page, _port, _register_and_sign_in


async def _deposit(page: Any, context: Any, base: str, amount: str, shown: str) -> None:
    """The deposit journey of test_site: the test PSP's checkout opens in a new tab."""
    await page.goto(f"{base}/account/deposit")
    await page.fill("#field-amount", amount)
    await page.click("form[action='/account/deposit'] button[type=submit]")
    async with context.expect_page() as opened:
        await page.locator("#payment-outcome a[target=_blank]").click()
    checkout = await opened.value
    await checkout.get_by_role("button", name="Pay").click()
    await checkout.wait_for_load_state()
    await checkout.close()
    await page.locator("#balances [data-wallet=CASH]").filter(has_text=shown).wait_for()


@pytest.fixture(scope="module", autouse=True)
async def originals(db: Database) -> None:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [brand for brand, *_ in BRANDS])


@pytest.mark.parametrize("case", BRANDS, ids=[b[0] for b in BRANDS])
async def test_search_the_lobby_and_play_dice_for_real_money(
    browser: Any,
    server: str,
    axe_script: Path,
    artifacts: Path,
    case: tuple[str, str | None, str, str],
) -> None:
    brand, country, amount, shown = case
    base = f"http://{brand}.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, country, f"dice@{brand}.example")
    await _deposit(page, context, base, amount, shown)

    await page.goto(f"{base}/casino")
    lobby_issues = await _axe_violations(page)
    await page.screenshot(path=str(artifacts / f"{brand}-casino.png"), full_page=True)
    await page.fill("#lobby-search", "dice")
    cards = page.locator("#game-list .game-card")
    await page.wait_for_function(
        "() => document.querySelectorAll('#game-list .game-card').length === 1"
    )
    assert await cards.locator(".game-name").all_inner_texts() == ["Dice"]
    assert re.search(r"/casino\?q=dice$", page.url)
    await cards.get_by_role("link", name="Dice", exact=True).click()
    await page.wait_for_url(re.compile(r"/casino/originals-dice\?provider=stakehouse-originals$"))
    await page.evaluate("window.stillTheSamePage = true")
    cash = page.locator("#balances [data-wallet=CASH]")
    await cash.filter(has_text=shown).wait_for()
    game = page.frame_locator("#game-frame")
    await game.locator("#roll").click()
    await game.locator("#verdict:not(:empty)").wait_for()
    await page.wait_for_function(
        "(before) => document.querySelector('#balances [data-wallet=CASH]').textContent.trim()"
        " !== before",
        arg=shown,
    )
    # The round just played is listed without a reload (asked for again on the balance
    # change), in its own row.
    await page.locator("#game-rounds tbody tr").first.wait_for()
    game_issues = await _axe_violations(page)

    assert await page.locator("#game-mode").get_attribute("data-mode") == "REAL"
    assert await page.evaluate("window.stillTheSamePage") is True
    assert {"lobby": lobby_issues, "game": game_issues} == {"lobby": [], "game": []}
    assert problems == []
    await context.close()
