"""The trading desk and the affiliates page in Chromium: a trader creates an event with a
market in the console, a bettor backs it on the brand site, the trader results it after the
confirm step shows the payout, and the bettor's bet history shows it won; finance opens the
affiliates page and reads a seeded affiliate's statement. No serious or critical axe
violation on any of these pages, each photographed at 1280x800 and 390x844, nothing wider
than a 360 px phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.browser.test_backoffice import SIZES, _console, _sign_in_staff
from tests.browser.test_each_way import _slip_ready
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in
from tests.web.backoffice.test_affiliates_page import last_month, seeded_affiliate
from tests.web.backoffice.test_trading_desk import _competition
from tests.web.site.test_translations import _fund


async def _photographed(page: Any, artifacts: Path, name: str) -> list[str]:
    """Axe at both sizes (and the width at 360 px), each size photographed; the
    violations and overflow found, as text."""
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    found: list[str] = []
    for size, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        found += [f"{name} {size}: {v}" for v in await _axe_violations(page)]
        await page.screenshot(path=str(shots / f"backoffice-{name}-{size}.png"), full_page=True)
    await page.set_viewport_size({"width": 360, "height": 740})
    if (scroll := await page.evaluate("document.documentElement.scrollWidth")) > 360:
        found.append(f"{name}: {scroll} px wide at 360")
    await page.set_viewport_size({"width": 1280, "height": 800})
    return found


async def test_a_trader_builds_a_market_a_bettor_backs_it_and_sees_it_settled_after_the_result(
    browser: Any, server: str, db: Database, axe_script: Path, artifacts: Path
) -> None:
    competition = await _competition(server, db)
    base = f"http://aurora.localhost:{_port(server)}"
    bettor_context, bettor, bettor_problems = await _new_page(browser, axe_script)
    email = "desk-bettor@aurora.example"
    await _register_and_sign_in(bettor, base, "MT", email)
    await _fund(db, email, 50_00)
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "desk-trader@op.example", "trader")
    audits: list[str] = []

    await page.get_by_role("link", name="Trading", exact=True).click()
    await page.get_by_role("link", name="New event").click()
    await page.select_option("#event-competition", competition)
    await page.fill("#event-name", "Hamrun v Floriana")
    await page.fill("#event-home", "Hamrun")
    await page.fill("#event-away", "Floriana")
    await page.fill("#event-starts", "2031-06-01T20:45")
    await page.fill("#event-reason", "fixture list")
    audits += await _photographed(page, artifacts, "trading-new-event")
    await page.get_by_role("button", name="Create the event").click()
    await page.get_by_role("status").filter(has_text="event was created").wait_for()
    event_id = page.url.split("/trading/event/", 1)[1].split("?", 1)[0]
    await page.select_option("#market-template", "match_result")
    await page.get_by_role("button", name="Use this template").click()
    await page.fill("#odds-0", "2.40")
    await page.fill("#odds-1", "3.10")
    await page.fill("#odds-2", "2.90")
    await page.fill("#market-reason", "opening prices")
    await page.get_by_role("button", name="Create the market").click()
    await page.get_by_role("status").filter(has_text="market was created").wait_for()
    audits += await _photographed(page, artifacts, "trading-event")

    await bettor.goto(f"{base}/sports/event/{event_id}")
    await bettor.locator(".outcome-button", has_text="Hamrun").click()
    await _slip_ready(bettor)
    await bettor.fill("#slip-stake", "5.00")
    await bettor.click("#place-bet")
    await bettor.locator("#bet-receipt").wait_for()

    await page.locator("#event-markets").get_by_role("link", name="Result").click()
    await page.select_option("select[name='result-home']", "WIN")
    await page.fill("#result-reason", "full time 2-0")
    audits += await _photographed(page, artifacts, "trading-result")
    await page.get_by_role("button", name="Review").click()
    payout = await page.text_content("#confirm-payout") or ""
    audits += await _photographed(page, artifacts, "trading-result-confirm")
    await page.get_by_role("button", name="Confirm and settle").click()
    await page.get_by_role("status").filter(has_text="market was resulted").wait_for()

    await bettor.goto(f"{base}/account/bets?status=settled")
    history = await bettor.locator(".bet").first.inner_text()

    # 5.00 at 2.40, the only open bet on the winning outcome.
    assert payout.strip() == "12.00 EUR"
    assert "Hamrun" in history and "won" in history.lower()
    assert "€12.00" in history.replace("\xa0", " ")
    assert audits == []
    assert problems == [] and bettor_problems == []
    await context.close()
    await bettor_context.close()


async def test_finance_opens_the_affiliates_page_and_reads_a_seeded_affiliates_statement(
    *,
    browser: Any,
    server: str,
    db: Database,
    owner_db: Database,
    registry: BrandRegistry,
    axe_script: Path,
    artifacts: Path,
) -> None:
    await seeded_affiliate(db, owner_db, registry)
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "aff-browser@op.example", "finance")
    audits: list[str] = []

    await page.get_by_role("link", name="Affiliates", exact=True).click()
    audits += await _photographed(page, artifacts, "affiliates")
    await page.fill("#affiliate-search", "cpa-desk")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(re.compile(r"/affiliates\?q=cpa-desk"))
    await page.get_by_role("link", name="Cpa Partners").click()
    await page.locator("#affiliate-statements").wait_for()
    month = last_month().isoformat()[:7]
    row = page.locator(f"#affiliate-statements tr[data-month='{month}']")
    total = await row.locator("[data-figure='total']").text_content()
    audits += await _photographed(page, artifacts, "affiliate")
    await page.goto(_console(server) + "/affiliates")

    assert (total or "").strip() == "50.00 EUR"
    assert audits == []
    assert problems == []
    await context.close()
