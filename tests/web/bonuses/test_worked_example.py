"""Issue 14's worked example, through GraphQL (offer, deposit, claim, progress) and signed
casino callbacks (stakes and wins): wagering is counted and the max bet refused inside the
stake's own transaction; completion converts up to the cap and forfeits the rest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.bonuses import lifecycle
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.wallets.models import WalletKind
from tests.web.bonuses.support import (
    BLACKJACK,
    CLAIM,
    LIVE,
    MY_BONUSES,
    SLOT,
    create_offer,
    crm,
    depositing_player,
    sessions,
    stake_many,
)
from tests.web.providers.conftest import assert_invariants, execute, fund, wallets


async def _grant(api: Any) -> dict[str, Any]:
    (grant,) = (await api.query(MY_BONUSES)).data["myBonuses"]
    return dict(grant)


def _minor(money: dict[str, str]) -> int:
    return int(money["amountMinorUnits"])


async def test_the_worked_example_counts_refuses_splits_converts_and_caps(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, player_id = await depositing_player(server, "100.00")
    claimed = (await player.query(CLAIM, {"i": {"code": "welcome"}})).data["claimBonus"]
    assert claimed["errors"] == []
    assert (_minor(claimed["grant"]["bonus"]), _minor(claimed["grant"]["required"])) == (
        10_000, 350_000,
    )  # fmt: skip
    games = await sessions(server, db, registry, player_id)
    # Cash for the stakes, so every stake below is paid from cash and the bonus stays whole;
    # after them 2.00 of cash is left.
    await fund(db, player_id, WalletKind.CASH, 790_200)

    await stake_many(games[SLOT], "slot", [500] * 400)  # 2,000 at 100 %
    await stake_many(games[BLACKJACK], "bj", [500] * 1000)  # 5,000 at 10 %
    await stake_many(games[LIVE], "live", [500] * 200)  # 1,000 at 0 %

    grant = await _grant(player)
    assert (_minor(grant["wagered"]), grant["progressBasisPoints"]) == (250_000, 7142)  # 71.4 %
    assert {share["percent"]: _minor(share["staked"]) for share in grant["byContribution"]} == {
        100: 200_000, 10: 500_000, 0: 100_000,
    }  # fmt: skip
    assert await wallets(db, player_id) == {"cash": 200, "bonus": 10_000}

    refused = await games[SLOT].bet("over-max", 600, "r-over", round_closed=True)
    assert refused.status == "RS_ERROR_LIMIT_REACHED"
    assert await execute(
        db, "SELECT count(*) FROM casino_transactions WHERE transaction_uuid = 'over-max'"
    ) == [(0,)]
    assert _minor((await _grant(player))["wagered"]) == 250_000
    assert await wallets(db, player_id) == {"cash": 200, "bonus": 10_000}
    # Risk staff see the refused attempt (and nothing else changed).
    assert await execute(
        db,
        "SELECT kind, details ->> 'product', (details ->> 'stake_minor')::int"
        " FROM bonus_abuse_flags WHERE player_id = :p",
        p=player_id,
    ) == [("max_bet_refused", "casino", 600)]

    # 2.00 real + 3.00 bonus, then a 20.00 win splits 8.00 real / 12.00 bonus.
    assert (await games[SLOT].bet("split", 500, "r-split")).status == "RS_OK"
    assert (await games[SLOT].win("split-win", "split", 2000, "r-split")).status == "RS_OK"
    assert await wallets(db, player_id) == {"cash": 800, "bonus": 10_900}

    # Cash spent, then a bonus-only stake wins big: the bonus holds 820.00.
    await stake_many(games[SLOT], "drain", [500, 300])
    assert (await games[SLOT].bet("big", 500, "r-big")).status == "RS_OK"
    assert (await games[SLOT].win("big-win", "big", 71_600, "r-big")).status == "RS_OK"
    assert await wallets(db, player_id) == {"cash": 0, "bonus": 82_000}
    assert _minor((await _grant(player))["wagered"]) == 251_800

    # The rest of the requirement from cash; the stake that meets it converts the grant.
    await fund(db, player_id, WalletKind.CASH, 98_200)
    await stake_many(games[SLOT], "finish", [500] * 196 + [200])

    grant = await _grant(player)
    assert grant["state"] == "CONVERTED"
    assert (_minor(grant["converted"]), _minor(grant["forfeited"])) == (50_000, 32_000)
    assert await wallets(db, player_id) == {"cash": 50_000, "bonus": 0}
    assert await execute(
        db,
        "SELECT kind, count(*) FROM ledger_transactions WHERE kind LIKE 'bonus.%' "
        "GROUP BY kind ORDER BY kind",
    ) == [("bonus.conversion", 1), ("bonus.forfeit", 1), ("bonus.grant", 1)]
    await assert_invariants(db)
    for simulator in games.values():
        await simulator.aclose()


async def test_on_day_31_an_unmet_bonus_expires_to_zero_and_cash_is_untouched(
    server: str, db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, player_id = await depositing_player(server, "100.00")
    assert (await player.query(CLAIM, {"i": {"code": "WELCOME"}})).data["claimBonus"][
        "errors"
    ] == []
    games = await sessions(server, db, registry, player_id)
    assert (await games[SLOT].bet("b1", 500, "r1")).status == "RS_OK"
    assert (await games[SLOT].win("w1", "b1", 1500, "r1")).status == "RS_OK"
    before = await wallets(db, player_id)
    assert before == {"cash": 11_000, "bonus": 10_000}

    day_30 = clock.now() + timedelta(days=29, hours=23)
    monkeypatch.setattr(clock, "now", lambda: day_30)
    async with db.transaction() as uow:
        assert await lifecycle.expire_due(uow) == 0
    day_31 = clock.now() + timedelta(days=1, hours=2)
    monkeypatch.setattr(clock, "now", lambda: day_31)
    async with db.transaction() as uow:
        assert await lifecycle.expire_due(uow) == 1
    async with db.transaction() as uow:
        assert await lifecycle.expire_due(uow) == 0

    assert await wallets(db, player_id) == {"cash": 11_000, "bonus": 0}
    monkeypatch.undo()  # the player's session would have expired by day 31
    grant = await _grant(player)
    assert (grant["state"], _minor(grant["forfeited"]), grant["remainingSeconds"]) == (
        "EXPIRED", 10_000, 0,
    )  # fmt: skip
    await assert_invariants(db)
    for simulator in games.values():
        await simulator.aclose()
