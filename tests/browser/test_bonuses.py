"""The bonus journey in a real browser at 360 px, on every brand: from the promotions page
the player deposits with the welcome code through the test PSP, sees the active bonus with
its progress bar, plays one real-money round of Originals Dice in another tab and watches
the bar's figures move on the bonuses page without a reload, then forfeits after a
confirmation that says what is lost. axe-core finds no serious or critical violation on
the promotions and bonuses pages, and neither scrolls sideways."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from domain.bonuses.demo import seed_demo_offers
from domain.brands.service import BrandRegistry
from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from tests.browser.test_site import BRANDS, _axe_violations, _new_page, _port, _register_and_sign_in
from tests.web.site.translation_check import catalogue, normalise

NARROW = {"width": 360, "height": 740}
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"


def _words(language: str, message: str) -> str:
    """What the page says for `message` in its language, up to its first placeholder."""
    said = message if language == "en" else catalogue(language).gettext(message)
    return normalise(said.split("%(")[0])


@pytest.fixture(scope="module", autouse=True)
async def originals(db: Database) -> None:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [brand for brand, *_ in BRANDS])


@pytest.fixture
async def offers(db: Database, registry: BrandRegistry) -> None:
    async with db.transaction() as uow:
        for brand, *_ in BRANDS:
            await seed_demo_offers(uow, registry.get(brand))


async def _deposit_with_the_welcome_code(page: Any, context: Any, amount: str) -> None:
    await page.locator("a[href='/account/deposit?code=WELCOME']").click()
    await page.wait_for_url(re.compile(r"/account/deposit\?code=WELCOME$"))
    assert await page.input_value("#field-bonus-code") == "WELCOME"
    await page.fill("#field-amount", amount)
    await page.click("form[action='/account/deposit'] button[type=submit]")
    await page.locator(".bonus-code-accepted").wait_for()
    async with context.expect_page() as opened:
        await page.locator("#payment-outcome a[target=_blank]").click()
    checkout = await opened.value
    await checkout.get_by_role("button", name="Pay").click()
    await checkout.wait_for_load_state()
    await checkout.close()
    # The deposit is credited and the bonus granted in one step: the live balances show it.
    await page.locator("#balances [data-wallet=BONUS]").wait_for(timeout=15_000)


@pytest.mark.usefixtures("offers")
@pytest.mark.parametrize("case", BRANDS, ids=[b[0] for b in BRANDS])
async def test_claim_a_deposit_bonus_with_a_code_play_watch_progress_and_forfeit(
    browser: Any, server: str, axe_script: Path, case: tuple[str, str | None, str, str]
) -> None:
    brand, country, amount, _ = case
    base = f"http://{brand}.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await page.set_viewport_size(NARROW)
    await _register_and_sign_in(page, base, country, f"bonus@{brand}.example")

    await page.goto(f"{base}/promotions")
    promotions_issues = await _axe_violations(page)
    promotions_overflow = await page.evaluate(OVERFLOW)
    await _deposit_with_the_welcome_code(page, context, amount)

    await page.goto(f"{base}/account/bonuses")
    await page.evaluate("window.stillTheSamePage = true")
    card = page.locator(".bonus-card")
    wagered = card.locator(".bonus-wagered")
    before = (await wagered.inner_text()).strip()
    bar_before = await card.locator("progress.bonus-bar").get_attribute("value")
    bonuses_issues = await _axe_violations(page)
    bonuses_overflow = await page.evaluate(OVERFLOW)

    game = await context.new_page()
    await game.goto(f"{base}/casino/originals-dice?provider=stakehouse-originals")
    frame = game.frame_locator("#game-frame")
    await frame.locator("#roll").click()
    await frame.locator("#verdict:not(:empty)").wait_for()
    await game.close()

    await page.wait_for_function(
        "(before) => document.querySelector('.bonus-card .bonus-wagered').textContent.trim()"
        " !== before",
        arg=before,
        timeout=15_000,
    )
    after = (await wagered.inner_text()).strip()
    assert await page.evaluate("window.stillTheSamePage") is True

    await card.locator(".forfeit summary").click()
    warning = await card.locator(".forfeit p").inner_text()
    await card.locator(".forfeit button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/account/bonuses\?forfeited=1$"))
    ended = normalise(await page.locator("main").inner_text())
    language = str(await page.locator("html").get_attribute("lang"))
    await context.close()

    assert bar_before == "0"
    assert before != after
    assert normalise(after).startswith(_words(language, "Wagered %(wagered)s of %(required)s"))
    forfeit_warning = (
        "If you forfeit it, you lose %(amount)s of bonus money and your wagering progress of "
        "%(wagered)s. Your cash balance, your deposit and its winnings stay. This cannot be "
        "undone."
    )
    assert normalise(warning).startswith(_words(language, forfeit_warning))
    assert _words(language, "The bonus was forfeited.") in ended
    assert _words(language, "You have no active bonus.") in ended
    assert {"promotions": promotions_issues, "bonuses": bonuses_issues} == {
        "promotions": [],
        "bonuses": [],
    }
    assert (promotions_overflow, bonuses_overflow) == (False, False)
    assert problems == []
