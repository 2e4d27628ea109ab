"""The back office's dashboard and audit log in Chromium: finance sees today's figures and
the GGR chart move with the money (the chart readable as a table, nothing wider than a
phone); risk changes a player's status with a reason, finds the row in the audit log by
their e-mail, opens the player from it and verifies the chain. No serious or critical axe
violation on either page."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.browser.test_backoffice import _console, _sign_in_staff
from tests.browser.test_site import _axe_violations, _new_page
from tests.domain.reporting.support import Casino, apply_outbox, ledger_move, player


async def _cell(page: Any, name: str) -> Decimal:
    text = await page.text_content(f"#figures-table-EUR [data-figure='{name}']") or ""
    return Decimal(text.split()[0].replace(",", ""))


async def test_finance_sees_todays_figures_and_the_ggr_chart_move_with_the_money(
    browser: Any, server: str, db: Database, registry: BrandRegistry, axe_script: Path
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 50_00)
    await apply_outbox(db)
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "dash-browser@op.example", "finance")
    before = await _cell(page, "ggr-today")

    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await dice.bet("dash-browser-b", "dash-browser-r", 7_00)
    await apply_outbox(db)
    await page.reload()

    assert await _cell(page, "ggr-today") - before == Decimal("7.00")
    chart = page.get_by_role("img", name=re.compile(r"GGR per day, last 30 days \(EUR\)"))
    assert await chart.count() == 1
    assert await page.locator("#ggr-chart-EUR rect.bar").count() == 30
    await page.get_by_text("The chart as a table").first.click()
    last_row = page.locator("#ggr-chart-EUR + figcaption tbody tr").last
    assert await last_row.is_visible()
    assert Decimal((await last_row.locator("td.num").text_content()) or "0") == await _cell(
        page, "ggr-today"
    )
    assert await _axe_violations(page) == []
    await page.set_viewport_size({"width": 360, "height": 740})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert await _axe_violations(page) == []
    assert problems == []
    await context.close()


async def test_risk_finds_their_status_change_in_the_audit_log_and_verifies_the_chain(
    browser: Any, server: str, db: Database, registry: BrandRegistry, axe_script: Path
) -> None:
    suspended = await player(db, registry, "aurora", "EUR")
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "audit-browser@op.example", "risk")
    profile = "/players/" + to_base64("Player", str(suspended))
    await page.goto(_console(server) + profile)
    await page.select_option("#status", "SUSPENDED")
    await page.fill("#status-reason", "chargeback under review")
    await page.click(f"form[action='{profile}/status'] button[type=submit]")
    await page.wait_for_load_state()

    await page.get_by_role("link", name="Audit log").click()
    await page.fill("#audit-actor", "audit-browser@op.example")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(re.compile(r"/audit\?actor="))

    # Their own sign-in (enrolment, new password) is in the log too, as rows of no brand.
    rows = page.locator("#audit-rows tbody tr").filter(has_text="chargeback under review")
    assert await rows.count() == 1
    assert "audit-browser@op.example" in (await rows.first.text_content() or "")
    assert await _axe_violations(page) == []
    await page.get_by_role("link", name="Verify the chain now").click()
    await page.wait_for_url(re.compile(r"verify=1"))
    assert "Every chain of the audit log holds" in (await page.text_content("#chain-result") or "")
    await page.set_viewport_size({"width": 360, "height": 740})
    assert await _axe_violations(page) == []
    await rows.first.locator("a[href^='/players/']").click()
    await page.wait_for_url(re.compile(re.escape(profile) + "$"))
    assert "suspended" in (await page.text_content("main") or "")
    assert problems == []
    await context.close()
