"""A grant's other endings over GraphQL (the player forfeits, staff cancel), staff grants
and lists, and 50 concurrent stakes against one grant."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.relay import from_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.support import Api
from tests.web.bonuses.support import (
    CLAIM,
    FORFEIT,
    GRANT,
    MY_BONUSES,
    SLOT,
    create_offer,
    crm,
    depositing_player,
    sessions,
)
from tests.web.providers.conftest import assert_invariants, execute, wallets

CANCEL = f"""mutation($i: CancelBonusGrantInput!) {{ cancelBonusGrant(input: $i) {{
  grant {{ {GRANT} }} errors {{ code field }} }} }}"""
GRANT_BONUS = f"""mutation($i: GrantBonusInput!) {{ grantBonus(input: $i) {{
  grant {{ {GRANT} }} errors {{ code field }} }} }}"""
COST = """query($from: DateTime!, $to: DateTime!) { bonusCost(from: $from, to: $to) {
  offerId granted { amount } converted { amount } forfeited { amount } cashback { amount }
  cost { amount } } }"""
GRANTS = "query($s: GrantState!) { bonusGrants(state: $s) { id state bonus { amount } } }"


async def _claimed(api: Api) -> dict[str, Any]:
    result = (await api.query(CLAIM, {"i": {"code": "WELCOME"}})).data["claimBonus"]
    assert result["errors"] == []
    return dict(result["grant"])


async def test_a_player_forfeits_the_bonus_and_keeps_the_deposit_and_its_winnings(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, player_id = await depositing_player(server)
    grant = await _claimed(player)
    games = await sessions(server, db, registry, player_id)
    assert (await games[SLOT].bet("b1", 500, "r1")).status == "RS_OK"
    assert (await games[SLOT].win("w1", "b1", 1500, "r1")).status == "RS_OK"

    forfeited = (await player.query(FORFEIT, {"i": {"grantId": grant["id"]}})).data["forfeitBonus"]
    again = (await player.query(FORFEIT, {"i": {"grantId": grant["id"]}})).data["forfeitBonus"]

    assert forfeited["errors"] == []
    assert (forfeited["grant"]["state"], forfeited["grant"]["forfeited"]) == (
        "FORFEITED", {"amountMinorUnits": "10000"},
    )  # fmt: skip
    assert [e["code"] for e in again["errors"]] == ["GRANT_NOT_ACTIVE"]
    assert await wallets(db, player_id) == {"cash": 11_000, "bonus": 0}
    # No active bonus: its max bet no longer holds.
    assert (await games[SLOT].bet("b2", 600, "r2")).status == "RS_OK"
    # The audit log is kept between tests: this grant's rows only.
    assert await execute(
        db,
        "SELECT actor_kind, action FROM audit_log WHERE subject_type = 'bonus_grant' "
        "AND subject_id = :s ORDER BY id",
        s=from_base64(grant["id"])[1],
    ) == [("player", "bonus.grant.active"), ("player", "bonus.grant.forfeited")]
    await assert_invariants(db)
    for simulator in games.values():
        await simulator.aclose()


async def test_staff_grant_list_and_cancel_with_a_reason(server: str, db: Database) -> None:
    staff = await crm(server, db)
    offer = await create_offer(
        staff, code="GIFT", kind="SIGN_UP",
        terms={"bonusAmount": "10.00", "wageringMultiplier": 10},
    )  # fmt: skip
    player, player_id = await depositing_player(server)
    player_gid = (await player.query("{ viewer { player { id } } }")).data["viewer"]["player"]["id"]

    granted = (
        await staff.query(
            GRANT_BONUS, {"i": {"offerId": offer["id"], "playerId": player_gid, "reason": "VIP"}}
        )
    ).data["grantBonus"]
    assert granted["errors"] == []
    listed = (await staff.query(GRANTS, {"s": "ACTIVE"})).data["bonusGrants"]
    assert listed == [
        {"id": granted["grant"]["id"], "state": "ACTIVE", "bonus": {"amount": "10.00"}}
    ]

    no_reason = (
        await staff.query(CANCEL, {"i": {"grantId": granted["grant"]["id"], "reason": " "}})
    ).data["cancelBonusGrant"]
    cancelled = (
        await staff.query(CANCEL, {"i": {"grantId": granted["grant"]["id"], "reason": "typo"}})
    ).data["cancelBonusGrant"]

    assert [e["code"] for e in no_reason["errors"]] == ["REASON_REQUIRED"]
    assert cancelled["grant"]["state"] == "CANCELLED"
    assert await wallets(db, player_id) == {"cash": 10_000, "bonus": 0}
    assert (await staff.query(GRANTS, {"s": "CANCELLED"})).data["bonusGrants"][0]["state"] == (
        "CANCELLED"
    )
    assert await execute(
        db,
        "SELECT reason FROM audit_log WHERE action = 'bonus.grant.cancelled' AND subject_id = :s",
        s=from_base64(granted["grant"]["id"])[1],
    ) == [("typo",)]
    (mine,) = (await player.query(MY_BONUSES)).data["myBonuses"]
    assert mine["state"] == "CANCELLED"
    period = {"from": "2020-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
    (cost,) = (await staff.query(COST, period)).data["bonusCost"]
    assert cost == {
        "offerId": offer["id"], "granted": {"amount": "10.00"}, "converted": {"amount": "0.00"},
        "forfeited": {"amount": "10.00"}, "cashback": {"amount": "0.00"},
        "cost": {"amount": "0.00"},
    }  # fmt: skip
    await assert_invariants(db)


async def test_fifty_concurrent_stakes_respect_the_max_bet_and_count_exactly(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, player_id = await depositing_player(server, "200.00")
    await _claimed(player)
    slot = (await sessions(server, db, registry, player_id))[SLOT]
    amounts = [500 if index % 2 else 501 for index in range(50)]  # 25 at the max, 25 above

    replies = await asyncio.gather(
        *(
            slot.bet(f"c-{index}", amount, f"c-r{index}", round_closed=True)
            for index, amount in enumerate(amounts)
        )
    )

    statuses = sorted(reply.status for reply in replies)
    assert statuses == ["RS_ERROR_LIMIT_REACHED"] * 25 + ["RS_OK"] * 25
    (grant,) = (await player.query(MY_BONUSES)).data["myBonuses"]
    assert grant["wagered"] == {"amountMinorUnits": str(25 * 500)}
    assert await execute(db, "SELECT count(*), sum(amount_minor) FROM casino_transactions") == [
        (25, 25 * 500)
    ]
    assert await wallets(db, player_id) == {"cash": 20_000 - 25 * 500, "bonus": 20_000}
    await assert_invariants(db)
    await slot.aclose()


async def test_a_rolled_back_stake_no_longer_counts_toward_wagering(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, player_id = await depositing_player(server)
    await _claimed(player)
    slot = (await sessions(server, db, registry, player_id))[SLOT]
    assert (await slot.bet("kept", 300, "r-kept", round_closed=True)).status == "RS_OK"
    assert (await slot.bet("undone", 500, "r-undone")).status == "RS_OK"

    assert (await slot.rollback("rb", "undone", "r-undone")).status == "RS_OK"

    (grant,) = (await player.query(MY_BONUSES)).data["myBonuses"]
    assert grant["wagered"] == {"amountMinorUnits": "300"}
    assert [(s["percent"], s["staked"]) for s in grant["byContribution"]] == [
        (100, {"amountMinorUnits": "300"})
    ]
    assert await wallets(db, player_id) == {"cash": 10_000 - 300, "bonus": 10_000}
    await assert_invariants(db)
    await slot.aclose()
