"""The game pages in Chromium: they play inside an iframe of the brand's site under their
own CSP (no violations), and another brand's site cannot frame them. Set
ORIGINALS_SCREENSHOTS=<folder> to keep screenshots of the pages."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS

HAVE_CHROMIUM = CHROMIUM.exists()
DEMO_DICE = "/originals/launch?game=originals-dice&mode=demo&currency=EUR"
DEMO_SLOT = "/originals/launch?game=originals-slot&mode=demo&currency=EUR"


@pytest.fixture(scope="module")
async def chromium(server: str) -> AsyncIterator[Any]:
    # A missing browser fails the suite rather than skipping it: these tests are the proof
    # that the pages work (.ci/run installs Debian's chromium).
    assert HAVE_CHROMIUM, "/usr/bin/chromium is missing (apt-get install -y chromium)"
    from playwright import async_api as playwright_api

    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def _site_with_game(chromium: Any, server: str, site_host: str, game: str) -> Any:
    """A page of `site_host` with the game in an iframe (as the brand's lobby shows it)."""
    port = server.rsplit(":", 1)[1]
    page = await chromium.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.problems = problems
    await page.goto(f"http://{site_host}:{port}/livez")
    await page.evaluate(
        """(src) => { const frame = document.createElement("iframe");
           frame.src = src; frame.width = 800; frame.height = 900;
           document.body.replaceChildren(frame); }""",
        f"http://aurora.localhost:{port}{game}",
    )
    return page


async def test_dice_and_slot_play_in_an_iframe_of_the_brand(chromium: Any, server: str) -> None:
    page = await _site_with_game(chromium, server, "aurora.localhost", DEMO_DICE)
    game = page.frame_locator("iframe")
    await game.locator("#target").fill("90.00")
    await game.locator("#roll").click()
    await game.locator("#verdict:not(:empty)").wait_for()
    balance = await game.locator("#balance").text_content()
    if os.environ.get("ORIGINALS_SCREENSHOTS"):
        await page.screenshot(
            path=f"{os.environ['ORIGINALS_SCREENSHOTS']}/dice.png", full_page=True
        )
    slot = await _site_with_game(chromium, server, "aurora.localhost", DEMO_SLOT)
    reels = slot.frame_locator("iframe")
    await reels.locator("#spin").click()
    await reels.locator("#result:not(:empty)").wait_for()
    if os.environ.get("ORIGINALS_SCREENSHOTS"):
        await slot.screenshot(
            path=f"{os.environ['ORIGINALS_SCREENSHOTS']}/slot.png", full_page=True
        )

    assert balance != "1000.00"
    assert (
        await reels.locator(
            ".cell.sym-C, .cell.sym-M, .cell.sym-P, .cell.sym-L, .cell.sym-B, .cell.sym-7"
        ).count()
        == 9
    )
    assert not [p for p in page.problems + slot.problems if "Content Security Policy" in p]
    await page.close()
    await slot.close()


async def test_another_brands_site_cannot_frame_the_games(chromium: Any, server: str) -> None:
    page = await _site_with_game(chromium, server, "northstar.localhost", DEMO_DICE)
    await page.wait_for_timeout(500)

    frame = page.frames[1] if len(page.frames) > 1 else None
    assert frame is None or await frame.locator("#roll").count() == 0
    await page.close()
