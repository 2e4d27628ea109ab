"""Account recovery in Chromium, on every brand, on a 360 px phone: registering sends the
verification e-mail through the dev SMTP server process, its link (opened from the dev
mailbox) verifies the address; "forgot password" sends the reset e-mail, its link sets a
new password and signs out a session of an earlier browser context; an unknown address
gets the same page. A real dramatiq worker sends the mail from the real broker."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from domain.kernel.db import Database
from tests.browser.test_site import BRANDS, _axe_violations, _port, _register_and_sign_in
from tests.mail import all_sent
from tests.support import STRONG_PASSWORD
from tests.workers import flushed_broker, running_worker  # noqa: F401 (autouse fixture)
from workers.actors import messaging

PHONE = {"width": 360, "height": 740}
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(autouse=True)
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


async def _phone(browser: Any, axe_script: Path) -> tuple[Any, Any]:
    context = await browser.new_context(locale="en-GB", viewport=PHONE)
    await context.add_init_script(path=str(axe_script))
    return context, await context.new_page()


async def _open_mail(page: Any, base: str, recipient: str, kind: str, db: Database) -> None:
    """Find the mail in the dev mailbox (reloading until it arrived, and its sending
    committed, with the token its link carries) and open its HTML."""
    mail = page.locator(f'article.mail[data-to="{recipient}"][data-kind="{kind}"]')
    for _ in range(50):
        await page.goto(f"{base}/dev/mailbox")
        if await mail.count() and await all_sent(db, recipient):
            break
        await page.wait_for_timeout(200)
    await mail.first.get_by_role("link", name="Rendered HTML").click()


async def _fits_the_phone(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


@pytest.mark.parametrize("case", BRANDS, ids=[b[0] for b in BRANDS])
async def test_verify_the_address_then_reset_the_password_from_the_emails(
    browser: Any,
    server: str,
    *,
    axe_script: Path,
    mailbox: Path,
    db: Database,
    case: tuple[str, ...],
) -> None:
    brand, country = case[0], case[1]
    base = f"http://{brand}.localhost:{_port(server)}"
    email = f"recover@{brand}.example"
    context, page = await _phone(browser, axe_script)

    # Register: the verification e-mail arrives; its link confirms the address.
    await _register_and_sign_in(page, base, country, email)
    await _open_mail(page, base, email, "verify_email", db)
    # The mail's button (in the player's language).
    await page.locator("a[href*='/verify-email?token=']").first.click()
    await page.wait_for_url(re.compile(r"/verify-email\?token="))
    await page.locator("form[action='/verify-email'] button[type=submit]").click()
    await expect(page.locator("p.success[role=status]")).to_be_visible()
    await _fits_the_phone(page)

    # An earlier browser context stays signed in until the reset.
    earlier, earlier_page = await _phone(browser, axe_script)
    await earlier_page.goto(f"{base}/login")
    await earlier_page.fill("#field-identifier", email)
    await earlier_page.fill("#field-password", STRONG_PASSWORD)
    await earlier_page.click("form[action='/login'] button[type=submit]")
    await earlier_page.goto(f"{base}/account")
    assert earlier_page.url.endswith("/account")

    # Forgot password, from a signed-out browser.
    reset, reset_page = await _phone(browser, axe_script)
    await reset_page.goto(f"{base}/login")
    await reset_page.click("a[href='/forgot-password']")
    assert await _axe_violations(reset_page) == []
    await _fits_the_phone(reset_page)
    await reset_page.fill("#field-email", email)
    await reset_page.click("form[action='/forgot-password'] button[type=submit]")
    known_reply = await reset_page.locator("main").inner_text()

    await _open_mail(reset_page, base, email, "password_reset", db)
    await reset_page.locator("a[href*='/reset-password?token=']").first.click()
    await reset_page.wait_for_url(re.compile(r"/reset-password\?token="))
    assert await _axe_violations(reset_page) == []
    await _fits_the_phone(reset_page)
    await reset_page.fill("#field-password", NEW_PASSWORD)
    await reset_page.click("form[action='/reset-password'] button[type=submit]")
    await reset_page.wait_for_url(re.compile(r"/login\?reset=1$"))
    await reset_page.fill("#field-identifier", email)
    await reset_page.fill("#field-password", NEW_PASSWORD)
    await reset_page.click("form[action='/login'] button[type=submit]")
    await reset_page.goto(f"{base}/account")
    assert reset_page.url.endswith("/account")

    # The earlier sessions are gone.
    for old in (earlier_page, page):
        await old.goto(f"{base}/account")
        assert "/login" in old.url

    # An unknown address gets the same page (asked, like the known one, signed out: a
    # signed-in page also shows the session clock where the brand's pack wants it).
    stranger = f"nobody-{brand}@example.com"
    await earlier_page.goto(f"{base}/forgot-password")
    await earlier_page.fill("#field-email", stranger)
    await earlier_page.click("form[action='/forgot-password'] button[type=submit]")
    assert await earlier_page.locator("main").inner_text() == known_reply
    for opened in (context, earlier, reset):
        await opened.close()
