"""The website in a real browser, on every brand: register, sign in, deposit through the
test PSP and watch the balance change without a reload; sessions stay on their brand;
injected markup never runs; axe-core finds no serious or critical violation; screenshots
of key pages land in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.accounts.models import Player
from domain.kernel.db import Database
from domain.messaging.models import InboxMessage
from resolvers.context import SESSION_COOKIE
from tests.support import STRONG_PASSWORD

# (brand, country to type or None when the brand fixes it, deposit, balance shown after)
BRANDS = [
    ("aurora", "MT", "25.00", "€25.00"),
    ("northstar", None, "150", "150,00 kr"),
    ("kumo", "JP", "3000", "¥3,000"),
]
PUBLIC_PAGES = ["/", "/register", "/login", "/legal/terms", "/legal/privacy",
                "/responsible-gambling"]  # fmt: skip
ACCOUNT_PAGES = ["/account", "/account/transactions", "/account/deposit", "/account/withdraw",
                 "/account/inbox", "/responsible-gambling/limits",
                 "/responsible-gambling/time-out", "/responsible-gambling/reality-check"]  # fmt: skip
SCREENSHOTS = {"/", "/register", "/account", "/account/deposit", "/responsible-gambling/limits"}
BLOCKING_IMPACTS = {"serious", "critical"}


def _port(server: str) -> int:
    return int(server.rsplit(":", 1)[1])


async def _new_page(browser: Any, axe_script: Path) -> tuple[Any, Any, list[str]]:
    context = await browser.new_context(locale="en-GB")
    # Injected through the DevTools protocol before any page script, so the page's CSP
    # (nonce scripts only) stays exactly as served.
    await context.add_init_script(path=str(axe_script))
    page = await context.new_page()
    problems: list[str] = []
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            # htmx logs its error events (htmx:swapError, htmx:sseError…) to the console.
            if message.type == "error"
            and ("Content Security Policy" in message.text or message.text.startswith("htmx:"))
            else None
        ),
    )
    return context, page, problems


async def _axe_violations(page: Any) -> list[str]:
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['nodes'][:3]}"
        for violation in result
        if violation["impact"] in BLOCKING_IMPACTS
    ]


async def _register_and_sign_in(page: Any, base: str, country: str | None, email: str) -> None:
    await page.goto(f"{base}/register")
    await page.fill("#field-email", email)
    await page.fill("#field-password", STRONG_PASSWORD)
    await page.fill("#field-date_of_birth", "1990-05-17")
    if country:
        await page.fill("#field-country", country)
    await page.click("form[action='/register'] button[type=submit]")
    # Registering signs in and leads to the first deposit.
    await page.wait_for_url(re.compile(r"/account/deposit$"))


@pytest.mark.parametrize("case", BRANDS, ids=[b[0] for b in BRANDS])
async def test_register_sign_in_deposit_and_watch_the_balance_live(
    browser: Any, server: str, axe_script: Path, case: tuple[str, str | None, str, str]
) -> None:
    brand, country, amount, shown = case
    base = f"http://{brand}.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, country, f"player@{brand}.example")
    cookies = {cookie["name"]: cookie for cookie in await context.cookies()}
    assert cookies[SESSION_COOKIE]["secure"] and cookies[SESSION_COOKIE]["httpOnly"]

    await page.goto(f"{base}/account/deposit")
    await page.evaluate("window.stillTheSamePage = true")
    await page.fill("#field-amount", amount)
    await page.click("form[action='/account/deposit'] button[type=submit]")
    link = page.locator("#payment-outcome a[target=_blank]")
    async with context.expect_page() as opened:
        await link.click()
    checkout = await opened.value
    await checkout.get_by_role("button", name="Pay").click()
    await checkout.wait_for_load_state()
    assert "Payment received" in await checkout.content()

    await (
        page.locator("#balances [data-wallet=CASH]").filter(has_text=shown).wait_for(timeout=10_000)
    )
    assert await page.evaluate("window.stillTheSamePage") is True
    assert problems == []
    await context.close()


@pytest.mark.parametrize("brand", [b[0] for b in BRANDS])
async def test_every_page_passes_axe_and_is_photographed(
    browser: Any, server: str, axe_script: Path, artifacts: Path, brand: str
) -> None:
    base = f"http://{brand}.localhost:{_port(server)}"
    country = next(b[1] for b in BRANDS if b[0] == brand)
    context, page, problems = await _new_page(browser, axe_script)
    found: dict[str, list[str]] = {}

    async def audit(path: str) -> None:
        await page.goto(base + path)
        found[path] = await _axe_violations(page)
        if path in SCREENSHOTS:
            name = path.strip("/").replace("/", "-") or "home"
            await page.screenshot(path=str(artifacts / f"{brand}-{name}.png"), full_page=True)

    for path in PUBLIC_PAGES:
        await audit(path)
    await _register_and_sign_in(page, base, country, f"audit@{brand}.example")
    for path in ACCOUNT_PAGES:
        await audit(path)
    await context.close()

    assert {path: issues for path, issues in found.items() if issues} == {}
    assert problems == []


async def test_a_session_of_one_brand_is_refused_on_another(
    browser: Any, server: str, axe_script: Path
) -> None:
    port = _port(server)
    context, page, _ = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, f"http://aurora.localhost:{port}", "MT", "ana@example.com")
    session = next(c for c in await context.cookies() if c["name"] == SESSION_COOKIE)
    # Replay the aurora cookie on northstar's host, as a stolen cookie would be.
    await context.add_cookies([{**session, "domain": "northstar.localhost", "path": "/"}])

    await page.goto(f"http://northstar.localhost:{port}/account")

    assert re.search(r"/login\?next=/account$", page.url)
    await context.close()


async def test_markup_in_player_data_never_runs(
    browser: Any, server: str, axe_script: Path, db: Database
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "eve@example.com")
    async with db.transaction() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == "eve@example.com"))
        assert player is not None
        uow.session.add(
            InboxMessage(
                brand="aurora", player_id=player.id, kind="crm",
                subject="<script>window.pwned = 1; alert('subject')</script>",
                body="<img src=x onerror=\"window.pwned = 2; alert('body')\">",
            )
        )  # fmt: skip

    await page.goto(f"{base}/account/inbox")

    assert await page.evaluate("window.pwned") is None
    assert await page.locator("article.message h2").first.inner_text() == (
        "<script>window.pwned = 1; alert('subject')</script>"
    )
    assert await page.locator("article.message img").count() == 0
    assert problems == []
    await context.close()
