"""Loyalty over GraphQL and the signed casino callbacks: CRM set aurora's programme, the
player's slot stakes earn points (shown as points, not money) once the accrual job runs
(twice: still once), the tier and the progress to the next show in myLoyalty, and points
are redeemed for cash once per idempotency key."""

from __future__ import annotations

import asyncio

from domain.bonuses import loyalty
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.web.bonuses.support import SLOT, crm, depositing_player, sessions
from tests.web.providers.conftest import assert_invariants, wallets
from tests.web.test_cli import run_cli

SET = """mutation($i: SetLoyaltyProgrammeInput!) { setLoyaltyProgramme(input: $i) {
  programme { casinoRate windowDays tiers { name minPoints } } errors { code field } } }"""
MINE = """{ myLoyalty { points windowPoints pointsToNextTier tier { name multiplierPercent }
  nextTier { name cashbackPercent } } }"""
REDEEM = """mutation($i: RedeemLoyaltyPointsInput!) { redeemLoyaltyPoints(input: $i) {
  cash { amount } loyalty { points } errors { code field } } }"""


async def test_stakes_earn_points_that_show_a_tier_and_redeem_for_cash(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    programme = {
        "casinoRate": 2,
        "sportsbookRate": 1,
        "windowDays": 30,
        "tiers": [
            {"name": "Bronze", "minPoints": 0},
            {"name": "Gold", "minPoints": 500, "multiplierPercent": 150, "cashbackPercent": 10},
        ],
        "redeemPoints": 100,
        "redeemMinorUnits": 50,
        # Redeemable at once here (tests/domain/bonuses/test_loyalty.py holds points back).
        "redeemHoldDays": 0,
    }
    saved = (await staff.query(SET, {"i": programme})).data["setLoyaltyProgramme"]
    assert saved["errors"] == []
    assert saved["programme"]["tiers"] == [
        {"name": "Bronze", "minPoints": 0},
        {"name": "Gold", "minPoints": 500},
    ]
    player, player_id = await depositing_player(server)
    games = await sessions(server, db, registry, player_id)
    # EUR 25.00 staked on the slot: 2 points per 1.00 = 50 points.
    for index in range(5):
        reply = await games[SLOT].bet(f"l-{index}", 500, f"lr-{index}", round_closed=True)
        assert reply.status == "RS_OK"

    first = await asyncio.to_thread(run_cli, "bonuses", "loyalty-accrue")
    second = await asyncio.to_thread(run_cli, "bonuses", "loyalty-accrue")
    tiers = await asyncio.to_thread(run_cli, "bonuses", "tiers")

    assert (first.returncode, second.returncode, tiers.returncode) == (0, 0, 0), (
        first.stderr,
        second.stderr,
        tiers.stderr,
    )
    assert "0 stakes earned points" in second.stdout
    mine = (await player.query(MINE)).data["myLoyalty"]
    assert mine == {
        "points": 50,
        "windowPoints": 50,
        "pointsToNextTier": 450,
        "tier": {"name": "Bronze", "multiplierPercent": 100},
        "nextTier": {"name": "Gold", "cashbackPercent": 10},
    }
    odd = (await player.query(REDEEM, {"i": {"points": 30, "idempotencyKey": "r1"}})).data
    assert [e["code"] for e in odd["redeemLoyaltyPoints"]["errors"]] == ["INVALID_TERMS"]
    too_many = (await player.query(REDEEM, {"i": {"points": 100, "idempotencyKey": "r1"}})).data
    assert [e["code"] for e in too_many["redeemLoyaltyPoints"]["errors"]] == ["NOT_ENOUGH_POINTS"]

    await games[SLOT].bet("l-9", 2500, "lr-9", round_closed=True)
    await loyalty.accrue(db)
    first = (await player.query(REDEEM, {"i": {"points": 100, "idempotencyKey": "r2"}})).data
    again = (await player.query(REDEEM, {"i": {"points": 100, "idempotencyKey": "r2"}})).data

    assert first["redeemLoyaltyPoints"] == {
        "cash": {"amount": "0.50"}, "loyalty": {"points": 0}, "errors": [],
    }  # fmt: skip
    assert again["redeemLoyaltyPoints"]["cash"] == {"amount": "0.50"}
    # 100.00 deposited, 50.00 staked, 0.50 redeemed.
    assert (await wallets(db, player_id))["cash"] == 50_50

    # A stake rolled back takes its points back.
    assert (await games[SLOT].bet("l-10", 500, "lr-10")).status == "RS_OK"
    await loyalty.accrue(db)
    assert (await player.query(MINE)).data["myLoyalty"]["points"] == 10
    assert (await games[SLOT].rollback("lb-10", "l-10", "lr-10")).status == "RS_OK"
    await loyalty.accrue(db)
    assert (await player.query(MINE)).data["myLoyalty"]["points"] == 0
    await assert_invariants(db)
    for simulator in games.values():
        await simulator.aclose()
