"""The back office in a real browser, one journey per role: support finds a player by phone
and revokes their sessions; finance approves a withdrawal and the player's balance page
changes live; a trader suspends a market and a bettor's event page shows it suspended (on reload);
support sees no finance action and is refused (403) when forcing one. axe-core finds no
serious or critical violation on any staff page; every page is photographed at 1280x800
and 390x844 into test-artifacts/; an admin changes aurora's primary colour, a visitor
sees it without a restart, then the admin rolls back."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from strawberry.relay import to_base64

from domain.accounts.models import AuthSession, Player
from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.kernel.db import Database
from tests.browser.test_site import _axe_violations, _new_page, _port, _register_and_sign_in
from tests.domain.payments.support import deposited, requested_withdrawal
from tests.domain.reporting.support import apply_outbox
from tests.domain.sportsbook.support import add_market
from tests.schema.sportsbook.support import gid
from tests.support import AURORA, Api, fresh_code
from tests.web.backoffice.support import ADMIN_HOST, STAFF_PASSWORD, create_staff
from tests.web.backoffice.test_theme_content import png
from tests.workers import flushed_broker, running_worker  # noqa: F401 (fixture)
from workers.actors import payments as payment_actors

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
STAFF_PAGES = ["/", "/players", "/players/{player}", "/payments", "/payments/deposits",
               "/kyc", "/aml", "/support", "/trading",
               "/trading/market/{market}", "/casino",
               "/casino/reconciliation", "/themes", "/staff", "/reports", "/bonuses", "/bonuses/abuse",
               "/segments", "/affiliates", "/trading/events/new", "/audit",
               "/audit?verify=1"]  # fmt: skip


def _console(server: str) -> str:
    return f"http://{ADMIN_HOST}:{_port(server)}"


async def _sign_in_staff(page: Any, server: str, db: Database, email: str, role: str) -> None:
    """The first sign-in in the browser: one-time password, enrolment, own password."""
    one_time = await create_staff(db, email, [role])
    await page.goto(_console(server) + "/login")
    await page.fill("#email", email)
    await page.fill("#password", one_time)
    await page.click("form[action^='/login'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/login/two-factor$"))
    secret = (await page.text_content("#totp-secret") or "").strip()
    await page.fill("#code", fresh_code(secret))
    await page.click("form[action='/login/two-factor'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/password$"))
    await page.fill("#current_password", one_time)
    await page.fill("#new_password", STAFF_PASSWORD)
    await page.click("form[action='/password'] button[type=submit]")
    await page.wait_for_url(re.compile(r":\d+/$"))


async def _player_id(db: Database, email: str) -> uuid.UUID:
    async with db.uow() as uow:
        found = await uow.session.scalar(select(Player.id).where(Player.email == email))
    assert found is not None
    return found


async def test_support_finds_a_player_by_phone_and_revokes_their_sessions(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    player = Api(server, AURORA)
    await player.register(email="phone@example.com", phone="+35699887766")
    await player.login("phone@example.com")
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "support@op.example", "support")

    await page.get_by_role("link", name="Players", exact=True).click()
    await page.fill("#q", "99887766")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("link", name="phone@example.com").click()
    await page.get_by_role("button", name="Sign out everywhere").click()

    await page.get_by_role("status").filter(has_text="sessions were revoked").wait_for()
    assert (await player.query("query { viewer { player { id } } }")).data["viewer"] is None
    async with db.uow() as uow:
        live = await uow.session.scalars(
            select(AuthSession.id).where(
                AuthSession.player_id == await _player_id(db, "phone@example.com"),
                AuthSession.revoked_at.is_(None),
            )
        )
        assert list(live) == []
    assert problems == []
    await player.aclose()
    await context.close()


async def test_finance_approves_a_withdrawal_and_the_players_balance_page_changes_live(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    base = f"http://aurora.localhost:{_port(server)}"
    player_context, player_page, player_problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(player_page, base, "MT", "cashout@example.com")
    player_id = await _player_id(db, "cashout@example.com")
    await deposited(db, player_id, 5000)
    await requested_withdrawal(db, player_id, 2000)
    await player_page.goto(f"{base}/account")
    pending = player_page.locator("#balances [data-wallet=WITHDRAWAL_PENDING]")
    await pending.filter(has_text="€20.00").wait_for()
    await player_page.evaluate("window.stillTheSamePage = true")
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "finance@op.example", "finance")

    await page.get_by_role("link", name="Payments", exact=True).click()
    row = page.get_by_role("row").filter(has_text="20.00 EUR")
    async with running_worker(payment_actors.QUEUE):
        await row.get_by_role("button", name="Approve").click()
        await page.get_by_role("status").filter(has_text="withdrawal was approved").wait_for()
        # The payout worker pays it out; the player's open page hears of it, no reload.
        await pending.filter(has_text="€0.00").wait_for(timeout=30_000)

    assert await player_page.evaluate("window.stillTheSamePage") is True
    assert await page.get_by_role("row").filter(has_text="20.00 EUR").count() == 0
    assert problems == [] and player_problems == []
    await context.close()
    await player_context.close()


async def test_a_trader_suspends_a_market_and_the_bettors_event_page_shows_it(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    market = await add_market(db, {"home": "2.10", "draw": "3.30", "away": "3.60"})
    bettor_context, bettor, bettor_problems = await _new_page(browser, axe_script)
    await bettor.goto(
        f"http://aurora.localhost:{_port(server)}/sports/event/{gid('SportsbookEvent', market.event_id)}"
    )
    assert await bettor.get_by_text("Suspended: no bets for now").count() == 0
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "trader@op.example", "trader")

    await page.get_by_role("link", name="Trading", exact=True).click()
    row = page.locator(f"tr[data-market='{gid('Market', market.market_id)}']")
    await row.get_by_label("Reason (kept in the audit log)").fill("injury news")
    await row.get_by_role("button", name="Suspend").click()
    await page.get_by_role("status").filter(has_text="market was suspended").wait_for()

    # On reload: the site's live stream follows odds (oddsChanged), and a trader's
    # suspension is published as eventUpdated, which the site's event page does not hear.
    await bettor.reload()
    await bettor.get_by_text("Suspended: no bets for now").wait_for()
    assert await row.get_by_role("button", name="Resume").count() == 1
    assert problems == [] and bettor_problems == []
    await context.close()
    await bettor_context.close()


async def test_support_sees_no_finance_action_and_is_refused_when_forcing_one(
    browser: Any, server: str, db: Database, axe_script: Path
) -> None:
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "support2@op.example", "support")

    navigation = await page.get_by_role("navigation").inner_text()
    direct = await page.goto(_console(server) + "/payments")
    await page.goto(_console(server) + "/")
    # A well-formed form (with the page's own CSRF token) to the finance action URL.
    forced = await page.evaluate(
        """async (withdrawal) => {
          const body = new FormData();
          body.append('csrf_token', document.querySelector('input[name=csrf_token]').value);
          body.append('withdrawal', withdrawal);
          return (await fetch('/payments/approve', {method: 'POST', body})).status;
        }""",
        to_base64("Payment", str(uuid.uuid4())),
    )

    assert "Payments" not in navigation and "Players" in navigation
    assert direct is not None and direct.status == 403
    assert forced == 403
    assert problems == []
    await context.close()


async def test_an_admin_changes_the_primary_colour_and_logo_and_the_site_shows_both_then_rolls_back(
    browser: Any, server: str, db: Database, axe_script: Path, artifacts: Path
) -> None:
    brand_page = f"http://aurora.localhost:{_port(server)}/"
    visitor_context, visitor, visitor_problems = await _new_page(browser, axe_script)
    primary = "getComputedStyle(document.documentElement).getPropertyValue('--colour-primary')"
    logo = "document.querySelector('a.logo img').getAttribute('src')"
    await visitor.goto(brand_page)
    shipped = (await visitor.evaluate(primary)).strip()
    shipped_logo = await visitor.evaluate(logo)
    context, page, problems = await _new_page(browser, axe_script)
    await _sign_in_staff(page, server, db, "admin@op.example", "admin")

    async def save_and_publish(number: int, reason: str) -> None:
        await page.get_by_role("button", name="Save as a new version").click()
        await page.get_by_role("status").filter(has_text="saved as a new version").wait_for()
        row = page.locator(f"tr[data-version='{number}']")
        await row.get_by_label("Reason (kept in the audit log)").fill(reason)
        await row.get_by_role("button", name="Publish").click()
        await page.get_by_role("status").filter(has_text="live on the brand").wait_for()

    async def visitor_sees(colour: str, logo_starts: str) -> bool:
        for _ in range(50):
            await visitor.reload()
            if (await visitor.evaluate(primary)).strip() == colour and (
                await visitor.evaluate(logo)
            ).startswith(logo_starts):
                return True
            await asyncio.sleep(0.2)
        return False

    await page.get_by_role("link", name="Theme", exact=True).click()
    await save_and_publish(1, "the shipped look, kept as version 1")
    await page.fill("#colour-primary", "#4a2fd0")
    await page.set_input_files(
        "#upload-logo", files=[{"name": "spring.png", "mimeType": "image/png", "buffer": png(8, 2)}]
    )
    await page.get_by_role("button", name="Save as a new version").click()
    await page.get_by_role("status").filter(has_text="saved as a new version").wait_for()
    # The editor frames the brand's home page in the new draft before anything is live.
    preview = page.frame_locator("#theme-preview")
    await preview.locator("a.logo img[src^='/theme-assets/']").wait_for()
    framed_primary = await preview.locator("html").evaluate(
        "e => getComputedStyle(e).getPropertyValue('--colour-primary')"
    )
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)
    await page.screenshot(path=str(shots / "backoffice-themes-preview-desktop.png"))
    row = page.locator("tr[data-version='2']")
    await row.get_by_label("Reason (kept in the audit log)").fill("spring look")
    await row.get_by_role("button", name="Publish").click()
    await page.get_by_role("status").filter(has_text="live on the brand").wait_for()
    changed = await visitor_sees("#4a2fd0", "/theme-assets/")
    rollback = page.locator("tr[data-version='1']")
    await rollback.get_by_label("Reason (kept in the audit log)").fill("back to the old look")
    await rollback.get_by_role("button", name="Roll back to this").click()
    await page.get_by_role("status").filter(has_text="live on the brand").wait_for()

    assert framed_primary.strip() == "#4a2fd0"
    assert changed
    assert await visitor_sees(shipped, shipped_logo)
    assert problems == [] and visitor_problems == []
    await context.close()
    await visitor_context.close()


async def _check_in_review(server: str, player: Api) -> None:
    """The player's verification, sent to manual review: a row in the KYC queue."""
    await player.login("shown@example.com")
    started = await player.query(
        "mutation { startVerification(input: { tier: FULL }) { check { flowUrl } } }"
    )
    flow = started.data["startVerification"]["check"]["flowUrl"]
    (review,) = SandboxKyc().complete_flow(flow, KycOutcome.MANUAL_REVIEW)
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        sent = await client.post(review.path, content=review.body, headers=dict(review.headers))
    assert sent.status_code == 200


async def test_every_staff_page_passes_axe_and_is_photographed(
    browser: Any, server: str, db: Database, axe_script: Path, artifacts: Path
) -> None:
    market = await add_market(db, {"home": "1.80", "draw": "3.40", "away": "4.50"})
    player = Api(server, AURORA)
    registered = await player.register(email="shown@example.com", phone="+35699000111")
    player_uuid = await _player_id(db, "shown@example.com")
    await deposited(db, player_uuid, 10000)
    await requested_withdrawal(db, player_uuid, 2500)
    await apply_outbox(db)  # the dashboard's figures and chart
    await _check_in_review(server, player)
    context, page, problems = await _new_page(browser, axe_script)
    found: dict[str, list[str]] = {}
    shots = artifacts / "screenshots"
    shots.mkdir(exist_ok=True)

    async def audit(path: str, name: str) -> None:
        for size, (width, height) in SIZES.items():
            await page.set_viewport_size({"width": width, "height": height})
            response = await page.goto(_console(server) + path)
            assert response is not None and response.status == 200, path
            found[f"{path} {size}"] = await _axe_violations(page)
            await page.screenshot(path=str(shots / f"backoffice-{name}-{size}.png"), full_page=True)

    await audit("/login", "login")
    await _sign_in_staff(page, server, db, "admin@op.example", "admin")
    for path in STAFF_PAGES:
        name = path.strip("/").replace("/", "-").replace("{player}", "profile")
        name = name.replace("{market}", "liabilities").replace("?verify=1", "-verified")
        name = name or "dashboard"
        market_id = gid("Market", market.market_id)
        await audit(path.format(player=registered["player"]["id"], market=market_id), name)

    assert found == {key: [] for key in found}
    assert problems == []
    await player.aclose()
    await context.close()
