"""Settlement through the ledger: the acceptance figures end to end, rollback and
resettlement, a worker killed mid-run, replays, cancellation and the live-bet delay."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.sportsbook import runs, settlement
from domain.sportsbook.corrections import cancel_bets, rollback_settlement
from domain.sportsbook.errors import MarketAlreadySettled, SettlementConflict
from domain.sportsbook.live_delay import decide_pending_bet
from domain.sportsbook.models import (
    Bet,
    BetStatus,
    BetType,
    OddsPolicy,
    Outcome,
    ResultKind,
    RunLane,
    SettlementRun,
)
from domain.sportsbook.placement import BetSlip, Selection
from domain.sportsbook.returns import LegResult
from domain.wallets.models import LedgerTransaction, WalletKind
from tests.domain.sportsbook.support import (
    BookMarket,
    add_market,
    assert_ledger_ok,
    fund,
    funded_player,
    place,
    wallets,
)
from tests.support import statements_of

WIN = LegResult(ResultKind.WIN)
LOSE = LegResult(ResultKind.LOSE)
VOID = LegResult(ResultKind.VOID)


def single(outcome_id: int, odds: str, stake_minor: int, **kwargs: object) -> BetSlip:
    return BetSlip(
        selections=(Selection(outcome_id, Decimal(odds)),),
        stake_minor=stake_minor,
        bet_type=BetType.SINGLE,
        idempotency_key=uuid.uuid4().hex,
        **kwargs,  # type: ignore[arg-type]
    )


async def settle(
    db: Database, market: BookMarket, results: dict[str, LegResult], **kwargs: object
) -> settlement.RunSummary:
    return await settlement.settle_market(
        db,
        market_id=market.market_id,
        results={market.outcomes[key]: result for key, result in results.items()},
        run_id=kwargs.pop("run_id", uuid.uuid4()),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


async def _bet(db: Database, bet_id: int) -> Bet:
    async with db.uow() as uow:
        return await uow.session.get_one(Bet, bet_id)


@pytest.mark.parametrize(
    ("system", "fourth", "returned_minor"),
    [
        ("yankee", LOSE, 22_50),
        ("lucky15", LOSE, 29_00),
        ("yankee", VOID, 51_50),
        ("yankee", WIN, 138_50),
    ],
)
async def test_a_one_pound_system_at_2_3_1_5_4(
    db: Database, registry: BrandRegistry, system: str, fourth: LegResult, returned_minor: int
) -> None:
    player = await funded_player(db, registry, 100_00)
    markets = [await add_market(db, {"yes": price, "no": "1.50"}) for price in ("2.00", "3.00", "1.50", "4.00")]  # fmt: skip
    placed = await place(
        db, registry, player,
        BetSlip(
            selections=tuple(
                Selection(m.outcomes["yes"], Decimal(p))
                for m, p in zip(markets, ("2.00", "3.00", "1.50", "4.00"), strict=True)
            ),
            stake_minor=1_00, bet_type=BetType.SYSTEM, system=system, idempotency_key="sys",
        ),
    )  # fmt: skip
    stake = placed.total_stake_minor

    for market in markets[:3]:
        await settle(db, market, {"yes": WIN, "no": LOSE})
        assert (await _bet(db, placed.bet_id)).status == "open"  # waits for its last leg
    other = LOSE if fourth is WIN else WIN
    await settle(db, markets[3], {"yes": fourth, "no": other})

    bet = await _bet(db, placed.bet_id)
    assert (bet.status, bet.payout_minor) == ("won", returned_minor)
    assert await wallets(db, player) == {WalletKind.CASH: 100_00 - stake + returned_minor}
    await assert_ledger_ok(db)


@pytest.mark.parametrize(
    ("specifiers", "odds", "result", "returned_minor"),
    [
        ("hcp=-0.25", "1.95", ResultKind.HALF_LOSE, 5_00),  # a draw
        ("hcp=-0.75", "2.00", ResultKind.HALF_WIN, 15_00),  # won by one goal
    ],
)
async def test_asian_handicap_quarter_lines(
    db: Database, registry: BrandRegistry, *, specifiers: str, odds: str, result: ResultKind,
    returned_minor: int,
) -> None:  # fmt: skip
    player = await funded_player(db, registry, 100_00)
    market = await add_market(
        db, {"home": odds, "away": "1.90"}, market_type="asian_handicap", specifiers=specifiers
    )
    placed = await place(db, registry, player, single(market.outcomes["home"], odds, 10_00))
    mirrored = ResultKind.HALF_WIN if result is ResultKind.HALF_LOSE else ResultKind.HALF_LOSE

    await settle(db, market, {"home": LegResult(result), "away": LegResult(mirrored)})

    bet = await _bet(db, placed.bet_id)
    assert bet.payout_minor == returned_minor
    assert await wallets(db, player) == {WalletKind.CASH: 90_00 + returned_minor}


async def test_a_dead_heat_pays_the_divided_stake(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry, 100_00)
    market = await add_market(db, {"ruby": "9.00", "jade": "3.00"}, market_type="winner")
    placed = await place(db, registry, player, single(market.outcomes["ruby"], "9.00", 10_00))

    await settle(
        db, market, {"ruby": LegResult(ResultKind.WIN, dead_heat=Fraction(1, 2)), "jade": LOSE}
    )

    assert (await _bet(db, placed.bet_id)).payout_minor == 45_00
    assert await wallets(db, player) == {WalletKind.CASH: 135_00}


async def test_each_way_placed_second(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry, 100_00)
    market = await add_market(
        db, {"ruby": "11.00", "jade": "2.00"}, market_type="race_winner",
        each_way_places=3, each_way_fraction_numerator=1, each_way_fraction_denominator=5,
    )  # fmt: skip
    placed = await place(
        db, registry, player, single(market.outcomes["ruby"], "11.00", 5_00, each_way=True)
    )
    assert placed.total_stake_minor == 10_00

    await settle(
        db, market,
        {"ruby": LegResult(ResultKind.LOSE, place_result=ResultKind.WIN), "jade": WIN},
    )  # fmt: skip

    assert (await _bet(db, placed.bet_id)).payout_minor == 15_00
    assert await wallets(db, player) == {WalletKind.CASH: 105_00}


async def test_a_free_bet_win_pays_the_winnings_to_cash(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 1_00)
    await fund(db, player, 10_00, WalletKind.SPORTSBOOK_FREE_BET)
    market = await add_market(db, {"home": "3.00", "away": "2.00"})
    placed = await place(
        db, registry, player, single(market.outcomes["home"], "3.00", 10_00, free_bet=True)
    )

    await settle(db, market, {"home": WIN, "away": LOSE})

    assert (await _bet(db, placed.bet_id)).payout_minor == 20_00
    assert await wallets(db, player) == {WalletKind.CASH: 21_00}
    await assert_ledger_ok(db)


async def test_rollback_and_resettlement_leave_only_the_second_settlement(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 100_00)
    market = await add_market(db, {"home": "2.50", "away": "3.00"})
    home = await place(db, registry, player, single(market.outcomes["home"], "2.50", 10_00))
    away = await place(db, registry, player, single(market.outcomes["away"], "3.00", 20_00))
    await settle(db, market, {"home": WIN, "away": LOSE})
    assert await wallets(db, player) == {WalletKind.CASH: 70_00 + 25_00}

    rolled = await rollback_settlement(db, market_id=market.market_id, run_id=uuid.uuid4())

    assert rolled.bets_processed == 2
    assert {(await _bet(db, b.bet_id)).status for b in (home, away)} == {"open"}
    assert await wallets(db, player) == {WalletKind.CASH: 70_00}
    await settle(db, market, {"home": LOSE, "away": WIN})

    assert await wallets(db, player) == {WalletKind.CASH: 70_00 + 60_00}
    assert ((await _bet(db, home.bet_id)).status, (await _bet(db, away.bet_id)).status) == (
        "lost", "won",
    )  # fmt: skip
    await assert_ledger_ok(db)
    async with db.uow() as uow:
        kinds = list(
            await uow.session.scalars(select(LedgerTransaction.kind).order_by(LedgerTransaction.id))
        )
    # Nothing deleted: the first payout and its reversal both stay in the ledger.
    assert kinds[-3:] == ["sportsbook.payout", "sportsbook.payout_reversal", "sportsbook.payout"]


async def test_a_worker_killed_mid_settlement_pays_every_bet_once_after_restart(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    players = [await funded_player(db, registry, 10_00) for _ in range(7)]
    for player in players:
        await place(db, registry, player, single(market.outcomes["home"], "2.00", 10_00))
    real_chunk = settlement.settle_chunk
    calls = 0

    async def dies_in_the_third_chunk(uow: UnitOfWork, **kwargs: object) -> settlement.Chunk:
        nonlocal calls
        calls += 1
        chunk = await real_chunk(uow, **kwargs)  # type: ignore[arg-type]
        if calls == 3:
            raise RuntimeError("worker killed before commit")
        return chunk

    monkeypatch.setattr(settlement, "settle_chunk", dies_in_the_third_chunk)
    run_id = uuid.uuid4()
    with pytest.raises(RuntimeError):
        await settle(db, market, {"home": WIN, "away": LOSE}, run_id=run_id, chunk_size=2)
    paid = [await wallets(db, p) for p in players]
    assert paid.count({WalletKind.CASH: 20_00}) == 4  # two chunks committed
    monkeypatch.setattr(settlement, "settle_chunk", real_chunk)

    summary = await settle(db, market, {"home": WIN, "away": LOSE}, run_id=run_id, chunk_size=2)

    assert summary.done
    assert [await wallets(db, p) for p in players] == [{WalletKind.CASH: 20_00}] * 7
    async with db.uow() as uow:
        payouts = await uow.session.scalar(
            select(func.count()).where(LedgerTransaction.kind == "sportsbook.payout")
        )
    assert payouts == 7
    await assert_ledger_ok(db)


async def test_a_replayed_settlement_message_changes_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 100_00)
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    await place(db, registry, player, single(market.outcomes["home"], "2.00", 10_00))
    run_id = uuid.uuid4()
    first = await settle(db, market, {"home": WIN, "away": LOSE}, run_id=run_id)

    again = await settle(db, market, {"home": WIN, "away": LOSE}, run_id=run_id)

    assert (first.bets_processed, again.bets_processed) == (1, 0)
    assert await wallets(db, player) == {WalletKind.CASH: 110_00}
    with pytest.raises(SettlementConflict):
        await settle(db, market, {"home": LOSE, "away": WIN}, run_id=run_id)
    with pytest.raises(MarketAlreadySettled):
        await settle(db, market, {"home": LOSE, "away": WIN})
    assert await wallets(db, player) == {WalletKind.CASH: 110_00}


async def test_cancel_voids_the_bets_placed_in_the_window(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 100_00)
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    early = await place(db, registry, player, single(market.outcomes["home"], "2.00", 10_00))
    window_start = clock.now()
    late = await place(db, registry, player, single(market.outcomes["away"], "3.00", 20_00))

    summary = await cancel_bets(
        db, market_id=market.market_id, placed_from=window_start,
        placed_to=clock.now() + timedelta(seconds=1), run_id=uuid.uuid4(),
    )  # fmt: skip

    assert summary.bets_processed == 1
    assert ((await _bet(db, early.bet_id)).status, (await _bet(db, late.bet_id)).status) == (
        "open", "cancelled",
    )  # fmt: skip
    assert await wallets(db, player) == {WalletKind.CASH: 90_00}
    await assert_ledger_ok(db)


async def _live_bet(
    db: Database, registry: BrandRegistry, policy: OddsPolicy
) -> tuple[uuid.UUID, int, int]:
    player = await funded_player(db, registry, 100_00)
    market = await add_market(
        db, {"home": "2.00", "away": "3.00"}, event_status="live", bet_delay_seconds=5
    )
    home = market.outcomes["home"]
    placed = await place(db, registry, player, single(home, "2.00", 10_00, odds_policy=policy))
    assert placed.status is BetStatus.PENDING
    assert placed.accept_after is not None
    async with db.transaction() as uow:
        (await uow.session.get_one(Outcome, home)).odds = Decimal("1.80")
    return player, placed.bet_id, home


async def test_a_live_bet_whose_odds_moved_is_refused_under_policy_none(
    db: Database, registry: BrandRegistry
) -> None:
    player, bet_id, _ = await _live_bet(db, registry, OddsPolicy.NONE)

    async with db.transaction() as uow:
        decision = await decide_pending_bet(uow, bet_id=bet_id)

    assert (decision.status, decision.reason) == (BetStatus.REFUSED, "ODDS_CHANGED")
    assert await wallets(db, player) == {WalletKind.CASH: 100_00}
    async with db.transaction() as uow:  # deciding again changes nothing
        assert (await decide_pending_bet(uow, bet_id=bet_id)).status is BetStatus.REFUSED
    await assert_ledger_ok(db)


async def test_a_live_bet_whose_odds_moved_is_accepted_under_policy_any(
    db: Database, registry: BrandRegistry
) -> None:
    player, bet_id, _ = await _live_bet(db, registry, OddsPolicy.ANY)

    async with db.transaction() as uow:
        decision = await decide_pending_bet(uow, bet_id=bet_id)

    assert decision.status is BetStatus.OPEN
    bet = await _bet(db, bet_id)
    assert (bet.status, bet.potential_return_minor) == ("open", 18_00)
    assert await wallets(db, player) == {WalletKind.CASH: 90_00}


async def test_a_market_split_in_lanes_pays_each_bet_once_even_when_a_lane_dies(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "LANE_MIN_BETS", 1)
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    players = [await funded_player(db, registry, 10_00) for _ in range(9)]
    for number, player in enumerate(players):
        pick = "home" if number % 3 else "away"
        odds = "2.00" if pick == "home" else "3.00"
        await place(db, registry, player, single(market.outcomes[pick], odds, 10_00))
    real_chunk = settlement.settle_chunk

    async def lane_one_dies(uow: UnitOfWork, **kwargs: object) -> settlement.Chunk:
        chunk = await real_chunk(uow, **kwargs)  # type: ignore[arg-type]
        if kwargs["lane"] == 1:
            raise RuntimeError("worker killed before commit")
        return chunk

    monkeypatch.setattr(settlement, "settle_chunk", lane_one_dies)
    run_id = uuid.uuid4()
    with pytest.raises(RuntimeError):
        await settle(db, market, {"home": WIN, "away": LOSE}, run_id=run_id, chunk_size=2, lanes=3)
    monkeypatch.setattr(settlement, "settle_chunk", real_chunk)

    summary = await settle(
        db, market, {"home": WIN, "away": LOSE}, run_id=run_id, chunk_size=2, lanes=3
    )

    assert summary.done
    expected = [{WalletKind.CASH: 20_00} if number % 3 else {} for number in range(9)]
    assert [await wallets(db, p) for p in players] == expected
    async with db.uow() as uow:
        lanes = list(
            await uow.session.execute(
                select(RunLane.lanes, RunLane.bets_processed, RunLane.status)
                .where(RunLane.run_id == run_id)
                .order_by(RunLane.lane)
            )
        )
        run = await uow.session.get_one(SettlementRun, run_id)
        payouts = await uow.session.scalar(
            select(func.count()).where(LedgerTransaction.kind == "sportsbook.payout")
        )
    assert [(lane.lanes, lane.status) for lane in lanes] == [(3, "completed")] * 3
    # Every bet in exactly one lane (the players split between them).
    assert sum(lane.bets_processed for lane in lanes) == 9
    assert (run.status, run.bets_processed, payouts) == ("completed", 9, 6)
    await assert_ledger_ok(db)


async def test_a_rollback_the_player_has_spent_the_winnings_of_leaves_that_bet_listed_on_the_run(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 10_00)
    market = await add_market(db, {"home": "2.50", "away": "3.00"})
    other = await add_market(db, {"home": "2.00", "away": "2.00"})
    won = await place(db, registry, player, single(market.outcomes["home"], "2.50", 10_00))
    await settle(db, market, {"home": WIN, "away": LOSE})
    # The winnings staked again: nothing is left in cash to take the payout back from.
    await place(db, registry, player, single(other.outcomes["home"], "2.00", 25_00))
    run_id = uuid.uuid4()

    await rollback_settlement(db, market_id=market.market_id, run_id=run_id)

    async with db.uow() as uow:
        run = await uow.session.get_one(SettlementRun, run_id)
    assert run.unreversed_bet_ids == [won.bet_id]
    assert (await _bet(db, won.bet_id)).status == "won"
    assert await wallets(db, player) == {}  # nothing left to take back, and nothing owed
    await assert_ledger_ok(db)


async def test_a_chunk_sends_the_same_statements_however_many_chunks_came_before_it(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The class: work per chunk that grows with what the run has already settled (objects
    # kept in a session across chunks and flushed again, a read of every settled bet or
    # every wallet, a query whose plan walks the lane from its start). One chunk's
    # statements, its first against its last, must be the same list.
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    players = [await funded_player(db, registry, 10_00) for _ in range(4)]
    for _round in range(3):
        for number, player in enumerate(players):
            pick = "home" if number % 2 else "away"
            odds = "2.00" if pick == "home" else "3.00"
            await place(db, registry, player, single(market.outcomes[pick], odds, 1_00))
    real_chunk = settlement.settle_chunk
    chunks: list[list[str]] = []

    async def counted(uow: UnitOfWork, **kwargs: object) -> settlement.Chunk:
        with statements_of(db) as statements:
            chunk = await real_chunk(uow, **kwargs)  # type: ignore[arg-type]
        chunks.append([" ".join(statement.split()) for statement in statements])
        return chunk

    monkeypatch.setattr(settlement, "settle_chunk", counted)

    summary = await settle(db, market, {"home": WIN, "away": LOSE}, chunk_size=2, lanes=1)

    assert summary.done
    assert summary.bets_processed == 12
    # Six full chunks (one winner and one loser each), then the empty one that ends the lane.
    assert len(chunks) == 7
    full = chunks[:6]
    assert [len(statements) for statements in full] == [len(full[0])] * 6
    assert full[-1] == full[0]
    assert [await wallets(db, p) for p in players] == [
        {WalletKind.CASH: 7_00},
        {WalletKind.CASH: 13_00},
    ] * 2
    await assert_ledger_ok(db)
