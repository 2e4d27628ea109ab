"""The theme editor's translations in Chromium: an admin overrides the German home page's
heading, publishes it, a visitor's German page shows it without a restart, and a rollback
restores the shipped words. The section is usable at 360 px and axe finds nothing serious."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from domain.kernel.db import Database
from tests.browser.test_backoffice import _sign_in_staff
from tests.browser.test_site import _axe_violations, _new_page, _port

HEADING = "document.querySelector('#hero-heading').textContent.trim()"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


async def test_an_admin_overrides_the_german_heading_publishes_it_and_rolls_it_back(
    browser: Any, server: str, db: Database, axe_script: Path, artifacts: Path
) -> None:
    visitor_context, visitor, visitor_problems = await _new_page(browser, axe_script)
    await visitor.goto(f"http://aurora.localhost:{_port(server)}/")
    await visitor.get_by_role("link", name="DE", exact=True).first.click()
    await visitor.wait_for_function(f"{HEADING} === 'Willkommen bei Aurora Casino'")
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "words@op.example", "admin")

    async def publish(number: int, reason: str, button: str) -> None:
        row = page.locator(f"tr[data-version='{number}']")
        await row.get_by_label("Reason (kept in the audit log)").fill(reason)
        await row.get_by_role("button", name=button).click()
        await page.get_by_role("status").filter(has_text="live on the brand").wait_for()

    async def visitor_sees(heading: str) -> bool:
        for _ in range(50):
            await visitor.reload()
            if await visitor.evaluate(HEADING) == heading:
                return True
            await asyncio.sleep(0.2)
        return False

    await page.get_by_role("link", name="Theme", exact=True).click()
    await page.get_by_role("button", name="Save as a new version").click()
    await page.get_by_role("status").filter(has_text="saved as a new version").wait_for()
    await publish(1, "the shipped words, kept as version 1", "Publish")
    # The operator's phone: the section works at 360 px without sideways scrolling.
    await page.set_viewport_size({"width": 360, "height": 800})
    section = page.get_by_role("region", name="Translations")
    await section.get_by_role("link", name="DE", exact=True).click()
    await section.get_by_label("Search messages").fill("welcome to")
    await section.get_by_role("button", name="Search", exact=True).click()
    await page.wait_for_url(re.compile(r"q=welcome"))
    shipped = page.locator("li[data-msgid='Welcome to %(brand)s']")
    await shipped.get_by_text("Willkommen bei %(brand)s").wait_for()
    overflow = await page.evaluate(OVERFLOW)
    await page.set_viewport_size({"width": 320, "height": 800})
    overflow_320 = await page.evaluate(OVERFLOW)
    await page.set_viewport_size({"width": 360, "height": 800})
    violations = await _axe_violations(page)
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    await page.screenshot(path=str(shots / "backoffice-themes-translations-360.png"))
    await shipped.get_by_label("Your text").fill("Herzlich willkommen im %(brand)s")
    await section.get_by_role("button", name="Save translations as a new version").click()
    await page.get_by_role("status").filter(has_text="translations were saved").wait_for()
    await page.set_viewport_size({"width": 1280, "height": 800})
    unpublished_kept = await visitor_sees("Willkommen bei Aurora Casino")
    await publish(2, "warmer welcome", "Publish")
    changed = await visitor_sees("Herzlich willkommen im Aurora Casino")
    await publish(1, "back to the shipped words", "Roll back to this")
    restored = await visitor_sees("Willkommen bei Aurora Casino")

    assert overflow <= 0 and overflow_320 <= 0
    assert violations == []
    assert unpublished_kept and changed and restored
    assert problems == [] and visitor_problems == []
    await context.close()
    await visitor_context.close()
