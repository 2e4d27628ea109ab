"""The account overview as a dashboard, in Chromium at 360 px: after a deposit with the
welcome bonus, a deposit limit, a bet and a round of Originals Dice, the player's overview
shows the balances, the active bonus with its wagering bar, the limit with how much of it
is used, the last bet and the last round, without scrolling sideways at 320 px and with no
serious axe finding; in German, the same dashboard reads in German with German amounts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from domain.accounts.models import Player
from domain.bonuses.demo import seed_demo_offers
from domain.brands.service import BrandRegistry
from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from tests.browser.test_bonuses import _deposit_with_the_welcome_code
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in
from tests.domain.sportsbook.support import add_market
from tests.web.site.translation_check import normalise

NARROW = {"width": 360, "height": 740}
# What sticks out past the right edge (none when the page does not scroll sideways).
OVERFLOW = """() => [...document.querySelectorAll('main *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .map(e => e.tagName.toLowerCase() + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))"""
EMAIL = "dashboard@aurora.example"


@pytest.fixture
async def aurora_site(db: Database, registry: BrandRegistry) -> None:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora"])
        await seed_demo_offers(uow, registry.get("aurora"))
    await add_market(db, {"home": "2.50", "away": "1.50"})


async def _sections(page: Any) -> dict[str, str]:
    found = {}
    for name in ("limits", "bets", "rounds"):
        text = await page.locator(f".dashboard-{name}").inner_text()
        found[name] = normalise(text)
    return found


@pytest.mark.usefixtures("aurora_site")
async def test_the_account_overview_is_a_dashboard_on_a_phone_in_english_and_german(
    browser: Any, server: str, axe_script: Path, db: Database
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", EMAIL)
    await page.goto(f"{base}/promotions")
    await _deposit_with_the_welcome_code(page, context, "25.00")
    # A daily deposit limit of €100: the €25 deposit counts against it.
    await page.goto(f"{base}/responsible-gambling/limits")
    await page.select_option("#field-money-kind", "DEPOSIT")
    await page.select_option("#field-money-period", "DAY")
    await page.fill("#field-money-amount", "100")
    await page.locator("#field-money-amount").press("Enter")
    await page.locator("#limit-deposit-day").wait_for()
    # A bet of €2 on "home".
    await page.goto(f"{base}/sports")
    await page.locator(".outcome-button", has_text="home").click()
    await page.locator("#bet-slip .slip-selection").wait_for()
    await page.wait_for_function(
        "() => document.querySelector('#slip-stake')?.['htmx-internal-data']?.initHash"
    )
    await page.fill("#slip-stake", "2")
    await page.click("#place-bet")
    await page.locator("#bet-receipt").wait_for()
    # A real-money round of Originals Dice.
    await page.goto(f"{base}/casino/originals-dice?provider=stakehouse-originals")
    await page.frame_locator("#game-frame").locator("#roll").click()
    await page.frame_locator("#game-frame").locator("#verdict:not(:empty)").wait_for()

    await page.set_viewport_size(NARROW)
    await page.goto(f"{base}/account")
    english = await _sections(page)
    cash = normalise(await page.locator("#balances [data-wallet=CASH]").inner_text())
    bar = await page.locator(".bonus-card progress.bonus-bar").count()
    limit_bar = await page.locator(".dashboard-limits progress").get_attribute("value")
    issues = await _axe_violations(page)
    await page.set_viewport_size({"width": 320, "height": 740})
    overflow = await page.evaluate(OVERFLOW)
    # The player's language is their account's (chosen at registration): now German.
    async with db.transaction() as uow:
        await uow.session.execute(update(Player).where(Player.email == EMAIL).values(locale="de"))
    await page.goto(f"{base}/account")
    german = await _sections(page)
    german_overflow = await page.evaluate(OVERFLOW)
    await context.close()

    assert cash.startswith("€")
    assert bar == 1
    assert english["limits"].startswith("Limits used")
    assert "Deposit limit, per 24 hours" in english["limits"]
    assert "€25.00 of €100.00 used" in english["limits"] and limit_bar == "25"
    assert english["bets"].startswith("Last bets")
    assert re.search(r"Home v Away: home @ 2\.50 Stake €2\.00 · open", english["bets"])
    assert english["rounds"].startswith("Last rounds")
    assert re.search(r"Dice Stake €[0-9.]+ · Win €[0-9.]+", english["rounds"])
    assert german["limits"].startswith("Genutzte Limits")
    assert "25,00 € von 100,00 € genutzt" in german["limits"]
    assert german["bets"].startswith("Letzte Wetten") and "Einsatz 2,00 €" in german["bets"]
    assert german["rounds"].startswith("Letzte Runden")
    assert (overflow, german_overflow) == ([], [])
    assert issues == []
    assert problems == []
