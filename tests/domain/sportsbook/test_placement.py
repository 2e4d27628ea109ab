"""Placing bets: the stake leaves through the ledger once per key, refusals are typed and
change nothing, limits hold under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.compliance.errors import AccountSuspended
from domain.kernel.db import Database
from domain.sportsbook.errors import (
    EachWayUnavailable,
    LiabilityLimitExceeded,
    MaxPayoutExceeded,
    OddsChanged,
    SameEventCombination,
    SelectionSuspended,
    StakeTooHigh,
    StakeTooLow,
)
from domain.sportsbook.models import (
    Bet,
    BetLeg,
    BetStatus,
    BetType,
    Market,
    OddsPolicy,
    Outcome,
    OutcomeLiability,
)
from domain.sportsbook.placement import BetSlip, Selection
from domain.wallets.errors import IdempotencyConflict, InsufficientFunds
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import (
    add_market,
    assert_ledger_ok,
    fund,
    funded_player,
    place,
    wallets,
)
from tests.support import statements_of


def single(outcome_id: int, odds: str, stake_minor: int = 10_00, **kwargs: object) -> BetSlip:
    return BetSlip(
        selections=(Selection(outcome_id, Decimal(odds)),),
        stake_minor=stake_minor,
        bet_type=BetType.SINGLE,
        idempotency_key=str(kwargs.pop("key", uuid.uuid4())),
        **kwargs,  # type: ignore[arg-type]
    )


async def _bets(db: Database) -> list[Bet]:
    async with db.uow() as uow:
        return list(await uow.session.scalars(select(Bet).order_by(Bet.id)))


async def _set_odds(db: Database, outcome_id: int, odds: str) -> None:
    async with db.transaction() as uow:
        outcome = await uow.session.get_one(Outcome, outcome_id)
        outcome.odds = Decimal(odds)


async def test_a_single_debits_the_stake_and_records_bet_and_leg(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 50_00)
    market = await add_market(db, {"home": "2.50", "draw": "3.20", "away": "2.90"})

    placed = await place(db, registry, player, single(market.outcomes["home"], "2.50"))

    assert (placed.status, placed.total_stake_minor, placed.potential_return_minor) == (
        BetStatus.OPEN, 10_00, 25_00,
    )  # fmt: skip
    assert placed.odds == (Decimal("2.5000"),)
    assert await wallets(db, player) == {WalletKind.CASH: 40_00}
    (bet,) = await _bets(db)
    assert (bet.stake_split, bet.status, bet.player_id) == ({"cash": 10_00}, "open", player)
    async with db.uow() as uow:
        (leg,) = await uow.session.scalars(select(BetLeg))
        liability = await uow.session.get_one(OutcomeLiability, (market.outcomes["home"], "EUR"))
    assert (leg.outcome_id, leg.odds, leg.market_id) == (
        market.outcomes["home"], Decimal("2.5000"), market.market_id,
    )  # fmt: skip
    assert liability.liability_minor == 25_00
    await assert_ledger_ok(db)


async def test_placement_is_three_statements(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "2.90"})
    # The first bet of a brand and currency opens the house counter account.
    await place(db, registry, player, single(market.outcomes["away"], "2.90"))
    with statements_of(db) as statements:
        await place(db, registry, player, single(market.outcomes["home"], "2.50"))

    # player context, selections, the placement function (BEGIN/COMMIT are not statements).
    assert len(statements) == 3, statements


async def test_replay_returns_the_same_bet_and_moves_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 50_00)
    market = await add_market(db, {"home": "2.50", "away": "2.90"})
    slip = single(market.outcomes["home"], "2.50", key="slip-1")

    first = await place(db, registry, player, slip)
    again = await place(db, registry, player, slip)

    assert again.bet_id == first.bet_id
    assert again.replayed
    assert await wallets(db, player) == {WalletKind.CASH: 40_00}
    with pytest.raises(IdempotencyConflict):
        await place(
            db, registry, player, single(market.outcomes["home"], "2.50", 20_00, key="slip-1")
        )
    assert len(await _bets(db)) == 1
    assert await wallets(db, player) == {WalletKind.CASH: 40_00}


async def test_concurrent_duplicates_make_one_bet(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry, 50_00)
    market = await add_market(db, {"home": "2.50", "away": "2.90"})
    slip = single(market.outcomes["home"], "2.50", key="twice")

    results = await asyncio.gather(*(place(db, registry, player, slip) for _ in range(4)))

    assert len({r.bet_id for r in results}) == 1
    assert await wallets(db, player) == {WalletKind.CASH: 40_00}
    await assert_ledger_ok(db)


async def test_odds_policy_decides_a_move(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "2.90"})
    home = market.outcomes["home"]
    await _set_odds(db, home, "2.60")

    with pytest.raises(OddsChanged) as refused:
        await place(db, registry, player, single(home, "2.50"))
    assert refused.value.current_odds == Decimal("2.6000")
    higher = await place(db, registry, player, single(home, "2.50", odds_policy=OddsPolicy.HIGHER))
    assert higher.odds == (Decimal("2.6000"),)

    await _set_odds(db, home, "2.40")
    with pytest.raises(OddsChanged):
        await place(db, registry, player, single(home, "2.50", odds_policy=OddsPolicy.HIGHER))
    lower = await place(db, registry, player, single(home, "2.50", odds_policy=OddsPolicy.ANY))
    assert (lower.odds, lower.potential_return_minor) == ((Decimal("2.4000"),), 24_00)
    assert len(await _bets(db)) == 2


async def test_refusals_are_typed_and_change_nothing(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry, 50_00)
    market = await add_market(
        db, {"home": "2.50", "away": "3.50"},
        min_stake_minor=1_00, max_stake_minor=20_00, max_payout_minor=60_00,
    )  # fmt: skip
    other = await add_market(
        db, {"over": "1.90", "under": "1.90"}, market_type="total", event_id=market.event_id
    )
    home = market.outcomes["home"]

    with pytest.raises(StakeTooLow) as low:
        await place(db, registry, player, single(home, "2.50", 50))
    assert low.value.limit_minor == 1_00
    with pytest.raises(StakeTooHigh):
        await place(db, registry, player, single(home, "2.50", 25_00))
    with pytest.raises(MaxPayoutExceeded) as payout:
        await place(db, registry, player, single(market.outcomes["away"], "3.50", 20_00))
    assert payout.value.limit_minor == 60_00
    with pytest.raises(EachWayUnavailable):
        await place(db, registry, player, single(home, "2.50", each_way=True))
    with pytest.raises(SameEventCombination):
        await place(
            db, registry, player,
            BetSlip(
                selections=(Selection(home, Decimal("2.50")),
                            Selection(other.outcomes["over"], Decimal("1.90"))),
                stake_minor=1_00, bet_type=BetType.MULTIPLE, idempotency_key="same-event",
            ),
        )  # fmt: skip
    await place(db, registry, player, single(home, "2.50", 20_00, key="a"))
    await place(db, registry, player, single(home, "2.50", 20_00, key="b"))
    with pytest.raises(InsufficientFunds):
        await place(db, registry, player, single(home, "2.50", 20_00, key="c"))
    async with db.transaction() as uow:
        row = await uow.session.get_one(Market, market.market_id)
        row.status = "suspended"
    with pytest.raises(SelectionSuspended):
        await place(db, registry, player, single(home, "2.50"))

    assert [b.idempotency_key for b in await _bets(db)] == ["a", "b"]
    assert await wallets(db, player) == {WalletKind.CASH: 10_00}
    await assert_ledger_ok(db)


async def test_same_event_combines_where_the_markets_allow_it(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry)
    market = await add_market(
        db, {"home": "2.00", "away": "3.00"}, allows_same_event_combination=True
    )
    other = await add_market(
        db, {"over": "1.50", "under": "2.50"}, market_type="total", event_id=market.event_id,
        allows_same_event_combination=True,
    )  # fmt: skip

    placed = await place(
        db, registry, player,
        BetSlip(
            selections=(Selection(market.outcomes["home"], Decimal("2.00")),
                        Selection(other.outcomes["over"], Decimal("1.50"))),
            stake_minor=10_00, bet_type=BetType.MULTIPLE, idempotency_key="builder",
        ),
    )  # fmt: skip

    assert placed.potential_return_minor == 30_00


async def test_a_suspended_player_cannot_bet(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "2.90"})
    async with db.transaction() as uow:
        (await uow.session.get_one(Player, player)).status = "suspended"

    with pytest.raises(AccountSuspended):
        await place(db, registry, player, single(market.outcomes["home"], "2.50"))
    assert await _bets(db) == []


async def test_a_free_bet_is_staked_from_the_free_bet_wallet(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 5_00)
    await fund(db, player, 10_00, WalletKind.SPORTSBOOK_FREE_BET)
    market = await add_market(db, {"home": "3.00", "away": "2.00"})

    placed = await place(
        db, registry, player, single(market.outcomes["home"], "3.00", free_bet=True)
    )

    assert placed.potential_return_minor == 20_00
    assert await wallets(db, player) == {WalletKind.CASH: 5_00}


async def test_concurrent_bets_never_overshoot_the_liability_limit(
    db: Database, registry: BrandRegistry
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "2.00"}, liability_limit_minor=100_00)
    home = market.outcomes["home"]
    players = [await funded_player(db, registry, 50_00) for _ in range(8)]

    async def attempt(player: uuid.UUID) -> bool:
        try:
            await place(db, registry, player, single(home, "2.00", 15_00))  # returns 30.00
        except LiabilityLimitExceeded:
            return False
        return True

    accepted = await asyncio.gather(*(attempt(player) for player in players))

    assert sum(accepted) == 3  # 3 x 30.00 = 90.00; a fourth would be 120.00
    async with db.uow() as uow:
        liability = await uow.session.get_one(OutcomeLiability, (home, "EUR"))
    assert liability.liability_minor == 90_00
    assert len(await _bets(db)) == 3
    await assert_ledger_ok(db)
