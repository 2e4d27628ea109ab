"""The player's protection tools in a real browser: the reality-check reminder appears on a
signed-in page once due, passes axe, and "Continue playing" (a plain form) dismisses it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import text

from domain.kernel.db import Database
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in

REMINDER = "section.reality-check"


async def test_the_reality_check_reminder_passes_axe_and_continue_dismisses_it(
    browser: Any, server: str, axe_script: Path, artifacts: Path, db: Database
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "rita@example.com")
    await page.goto(f"{base}/responsible-gambling/reality-check")
    await page.check("#minutes-15")
    await page.click("form[action='/responsible-gambling/reality-check'] button[type=submit]")
    await page.wait_for_url(re.compile(r"done=saved$"))
    # The session began 16 minutes ago: the first reminder is due.
    async with db.transaction() as uow:
        await uow.session.execute(
            text("UPDATE auth_sessions SET created_at = created_at - interval '16 minutes'")
        )

    await page.goto(f"{base}/account")
    shown = await page.locator(REMINDER).count()
    violations = await _axe_violations(page)
    await page.screenshot(path=str(artifacts / "aurora-reality-check.png"), full_page=True)
    await page.get_by_role("button", name="Continue playing").click()
    await page.wait_for_url(re.compile(r"/account$"))

    assert shown == 1
    assert violations == []
    assert await page.locator(REMINDER).count() == 0
    assert problems == []
    await context.close()


async def test_a_limit_and_its_pending_increase_pass_axe(
    browser: Any, server: str, axe_script: Path, artifacts: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "nils@example.com")
    await page.goto(f"{base}/responsible-gambling/limits")
    for amount in ("50", "80"):
        await page.fill("#field-money-amount", amount)
        await page.get_by_role("button", name="Set limit").first.click()
        await page.wait_for_url(re.compile(r"done="))

    pending = await page.locator("#pending-deposit-day").inner_text()
    violations = await _axe_violations(page)
    await page.screenshot(path=str(artifacts / "aurora-limits-pending.png"), full_page=True)

    assert pending.startswith("Change requested to €80.00.")
    assert violations == []
    assert problems == []
    await context.close()
