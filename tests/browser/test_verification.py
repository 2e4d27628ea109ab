"""Verification in Chromium on a 360 px phone: the player fills in the profile, opens the
verification page (axe-clean, no sideways scroll), goes to the test provider's hosted page,
approves there and lands back on the verification page verified."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in

PHONE = {"width": 360, "height": 740}


async def _fits(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


async def test_profile_then_the_hosted_flow_and_back_verified_on_a_phone(
    browser: Any, server: str, axe_script: Path, artifacts: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await page.set_viewport_size(PHONE)
    await _register_and_sign_in(page, base, "MT", "vera@example.com")

    await page.goto(f"{base}/account/profile")
    await page.fill("#field-givenName", "Vera")
    await page.fill("#field-familyName", "Camilleri")
    await page.fill("#field-addressLine1", "5 Triq San Pawl")
    await page.fill("#field-city", "Mdina")
    await page.fill("#field-postalCode", "MDN 1010")
    await page.fill("#field-addressCountry", "MT")
    await page.fill("#field-nationality", "MT")
    await page.click("form[action='/account/profile'] button[type=submit]")
    await page.wait_for_url(re.compile(r"done=saved$"))
    profile_violations = await _axe_violations(page)
    await _fits(page)

    await page.goto(f"{base}/account/verification")
    before = await page.locator("#verification-tier").inner_text()
    status_violations = await _axe_violations(page)
    await _fits(page)
    await page.screenshot(path=str(artifacts / "aurora-verification-phone.png"), full_page=True)
    await page.click("#start-verification")
    await page.wait_for_url(re.compile(r"/test-kyc/flow/"))
    await page.get_by_role("button", name="Approve").click()
    await page.wait_for_url(re.compile(r"/account/verification$"))
    after = await page.locator("#verification-tier").inner_text()
    unlocked = await page.locator("#verification-requirements").inner_text()
    await _fits(page)

    assert (before, after) == ("Not verified", "Full verification")
    assert "Withdrawals: unlocked" in unlocked
    assert profile_violations == [] and status_violations == []
    assert problems == []
    await context.close()
