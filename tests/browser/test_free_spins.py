"""Free spins granted by CRM and played in the studio's game, in a real browser: CRM staff
grant aurora's demo free spins (10 at EUR 0.20 on the Originals slot, winnings as bonus
money under 10x wagering) to a player over GraphQL; the player opens the slot and spins;
the round is a free one (no cash staked), and its win lands as bonus money, live in the
site's balances, with a bonus of its own that needs 10x the win wagered. The reels are a
seeded source whose first spin wins, so the test always sees a win (the payout itself is
the slot's own, computed from the same seed)."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from strawberry.relay import to_base64

from domain.accounts.models import Player
from domain.bonuses.demo import DEMO_SPINS_GAME, DEMO_SPINS_PROVIDER, seed_demo_offers
from domain.brands.service import BrandRegistry
from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from domain.originals import games
from tests.browser.test_site import _new_page, _port, _register_and_sign_in
from tests.schema.wallets.support import fund, signed_in_staff
from tests.support import AURORA
from tests.web.providers.conftest import execute
from web.originals import play

BRAND = "aurora"
STAKE_MINOR = 20
CASH_MINOR = 10_00
GRANT_FREE_SPINS = """mutation($i: GrantFreeSpinsInput!) { grantFreeSpins(input: $i) {
  freeSpins { id state rounds stake { amount } games } errors { code field } } }"""


def _euros(minor: int) -> str:
    return f"€{Decimal(minor) / 100:,.2f}"


def _winning_seed() -> tuple[int, int]:
    """The first seed whose first spin of the Originals slot pays, and what it pays."""
    for seed in range(10_000):
        payout = games.slot_outcome(STAKE_MINOR, random.Random(seed)).payout_minor
        if payout > 0:
            return seed, payout
    raise AssertionError("no winning seed")


@pytest.fixture
async def seeded(db: Database, registry: BrandRegistry) -> None:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [BRAND])
        await seed_demo_offers(uow, registry.get(BRAND))


async def _spin(page: Any, base: str) -> dict[str, Any]:
    await page.goto(f"{base}/casino/{DEMO_SPINS_GAME}?provider={DEMO_SPINS_PROVIDER}")
    frame = page.frame_locator("#game-frame")
    await frame.locator("#spin").wait_for()
    async with page.expect_response(lambda response: "/api/play" in response.url) as answer:
        await frame.locator("#spin").click()
    reply = await answer.value
    assert reply.status == 200, await reply.text()
    body: dict[str, Any] = await reply.json()
    await frame.locator("#result:not(:empty)").wait_for()
    return body


@pytest.mark.usefixtures("seeded")
async def test_crm_grants_free_spins_and_the_player_wins_bonus_money_in_the_studio(
    browser: Any, server: str, axe_script: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = f"http://{BRAND}.localhost:{_port(server)}"
    context, page, problems = await _new_page(browser, axe_script)
    await _register_and_sign_in(page, base, "MT", "spins@aurora.example")
    async with db.uow() as uow:
        player_id = await uow.session.scalar(
            select(Player.id).where(Player.email == "spins@aurora.example")
        )
    assert player_id is not None
    await fund(db, player_id, CASH_MINOR)

    staff = await signed_in_staff(server, AURORA, db, ["crm"])
    offers = (await staff.query("{ bonusOffers { id kind name } }")).data["bonusOffers"]
    (spins_offer,) = [offer for offer in offers if offer["kind"] == "FREE_SPINS"]
    granted = (
        await staff.query(
            GRANT_FREE_SPINS,
            {
                "i": {
                    "offerId": spins_offer["id"],
                    "playerId": to_base64("Player", str(player_id)),
                    "reason": "Welcome gift from CRM",
                }
            },
        )
    ).data["grantFreeSpins"]
    assert granted["errors"] == []
    assert {key: granted["freeSpins"][key] for key in ("state", "rounds", "stake", "games")} == {
        "state": "ACTIVE",
        "rounds": 10,
        "stake": {"amount": "0.20"},
        "games": [DEMO_SPINS_GAME],
    }

    seed, payout_minor = _winning_seed()
    monkeypatch.setattr(play, "_SLOT_RNG", random.Random(seed))
    body = await _spin(page, base)

    # A free round: the reward's stake, nothing taken from cash, the win as bonus money.
    assert (body["round"]["status"], Decimal(body["round"]["stake"])) == (
        "settled",
        Decimal("0.20"),
    )
    assert Decimal(body["round"]["payout"]) == Decimal(payout_minor) / 100
    bonus = page.locator("#balances [data-wallet=BONUS]")
    await bonus.filter(has_text=_euros(payout_minor)).wait_for(timeout=15_000)
    cash_shown = await page.locator("#balances [data-wallet=CASH]").inner_text()
    await page.goto(f"{base}/account/bonuses")
    bonus_page = await page.locator("main").inner_text()
    await context.close()

    assert _euros(CASH_MINOR) in cash_shown
    assert re.search(re.escape(_euros(payout_minor)), bonus_page)
    assert await execute(
        db,
        "SELECT rounds_used, won_minor FROM bonus_free_rounds WHERE player_id = :p",
        p=player_id,
    ) == [(1, payout_minor)]
    assert await execute(
        db,
        "SELECT state, bonus_minor, required_minor FROM bonus_grants WHERE player_id = :p",
        p=player_id,
    ) == [("active", payout_minor, 10 * payout_minor)]
    assert problems == []
