"""The player site's layout on a phone, in Chromium: the header stays compact, the main
places sit in a bottom bar, the lobby shows games on the first screen, the bet slip is a
drawer whose count follows the selections, and a game's page keeps the balance in sight.
Each brand's 320 px overflow check and screenshots are in test_mobile_<brand>.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.screenshots import sign_in
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.browser.mobile import PHONE, TOUCH_TARGET_PX, seed_demo_site
from tests.browser.test_site import _axe_violations, _new_page, _port
from web.seed import DEMO_PASSWORD


@pytest.fixture
async def demo_site(db: Database, registry: BrandRegistry) -> None:
    await seed_demo_site(db, registry)


async def test_a_phone_gets_a_compact_header_a_bottom_bar_and_games_on_the_first_screen(
    browser: Any, server: str, axe_script: Path, demo_site: None
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    await context.add_init_script(path=str(axe_script))
    page = await context.new_page()

    await page.goto(base + "/casino")
    header = await page.locator(".site-header").bounding_box()
    bar = page.get_by_role("navigation", name="Shortcuts")
    places = await bar.get_by_role("link").all_inner_texts()
    bar_box = await bar.bounding_box()
    tiles = [await tile.bounding_box() for tile in await page.locator(".game-card").all()]
    first_row = [box for box in tiles if box["y"] == tiles[0]["y"]]
    small_targets = await page.evaluate(
        """(minimum) => [...document.querySelectorAll('.bottom-nav a, .game-demo, .header-actions a')]
            .filter(e => e.getBoundingClientRect().height < minimum).map(e => e.textContent.trim())""",
        TOUCH_TARGET_PX,
    )
    lobby_issues = await _axe_violations(page)
    await page.goto(base + "/")
    home_issues = await _axe_violations(page)
    await context.close()

    assert header is not None and header["height"] <= 64
    assert [text.strip() for text in places] == ["Home", "Casino", "Sports", "Sign in"]
    assert bar_box is not None and bar_box["y"] + bar_box["height"] == PHONE["height"]
    assert len(first_row) in (2, 3)
    # The first games show without scrolling, above the bottom bar.
    assert tiles[0]["y"] + tiles[0]["height"] <= bar_box["y"]
    assert small_targets == []
    assert lobby_issues == [] and home_issues == []


async def test_the_bet_slip_is_a_drawer_whose_count_follows_the_selections(
    browser: Any, server: str, axe_script: Path, demo_site: None
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await page.set_viewport_size(PHONE)
    await sign_in(page, base, "demo", DEMO_PASSWORD)
    await page.goto(base + "/sports")
    drawer = page.locator(".slip-drawer")
    count = drawer.locator(".slip-count")
    closed = await drawer.bounding_box()
    place_hidden = not await page.locator("#place-bet").is_visible()

    await page.locator(".outcome-button:not([disabled])").first.click()
    await count.filter(has_text="1").wait_for()
    await page.locator(".outcome-button:not([disabled])").nth(3).click()
    await count.filter(has_text="2").wait_for()
    still_closed = await drawer.bounding_box()
    await drawer.locator(".slip-handle").click()
    opened = await drawer.bounding_box()
    place_shown = await page.locator("#place-bet").is_visible()
    selections = await drawer.locator(".slip-selection").count()
    cash_shown = await drawer.locator("[data-wallet=CASH]").is_visible()
    # A game's page keeps the balance in sight too, over the bottom bar.
    await page.goto(base + "/casino/quillmoor-002?provider=quillmoor&mode=demo")
    game_balance = page.locator("#balances [data-wallet=CASH]")
    await game_balance.wait_for()  # visible first: a box read during the page's load is None
    game_cash = await game_balance.bounding_box()
    await context.close()

    assert closed is not None and closed["height"] <= 64
    assert closed["y"] + closed["height"] <= PHONE["height"] - 56 + 1  # above the bottom bar
    assert place_hidden
    assert still_closed is not None and still_closed["height"] == closed["height"]
    assert opened is not None and opened["height"] > 300
    assert place_shown and selections == 2 and cash_shown
    assert game_cash is not None and game_cash["y"] + game_cash["height"] <= PHONE["height"] - 56
    assert problems == []
