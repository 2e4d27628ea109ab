"""Settlement end to end: the results commit an outbox event, the relay hands it to the
real Redis broker, a real dramatiq Worker runs `sportsbook.settle_market` (and
`sportsbook.settle_lane` for each other lane of a huge market)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook import runs
from domain.sportsbook.models import Bet, BetType, ResultKind, RunLane, SettlementRun
from domain.sportsbook.placement import BetSlip, Selection
from domain.sportsbook.returns import LegResult
from domain.sportsbook.settlement import request_settlement
from domain.wallets.models import LedgerTransaction, WalletKind
from tests.domain.sportsbook.support import (
    add_market,
    assert_ledger_ok,
    funded_player,
    place,
    wallets,
)
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from workers.actors import broker, sportsbook
from workers.relay import relay_batch


async def _resulted_market_with_bets(
    db: Database, registry: BrandRegistry, bets: int
) -> list[uuid.UUID]:
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    players = [await funded_player(db, registry, 10_00) for _ in range(bets)]
    for player in players:
        await place(
            db, registry, player,
            BetSlip(
                selections=(Selection(market.outcomes["home"], Decimal("2.00")),),
                stake_minor=10_00, bet_type=BetType.SINGLE, idempotency_key="bet",
            ),
        )  # fmt: skip
    async with db.transaction() as uow:
        await request_settlement(
            uow,
            market_id=market.market_id,
            results={
                market.outcomes["home"]: LegResult(ResultKind.WIN),
                market.outcomes["away"]: LegResult(ResultKind.LOSE),
            },
        )
    return players


async def _open_bets(db: Database) -> int:
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(Bet).where(Bet.status == "open")
            )
            or 0
        )


async def test_a_resulted_market_is_settled_by_the_worker(
    db: Database, registry: BrandRegistry
) -> None:
    players = await _resulted_market_with_bets(db, registry, 3)
    assert await relay_batch(db, limit=100) >= 1

    async def settled() -> bool:
        return await _open_bets(db) == 0

    async with running_worker(sportsbook.QUEUE):
        await eventually(settled)

    assert [await wallets(db, p) for p in players] == [{WalletKind.CASH: 20_00}] * 3
    await assert_ledger_ok(db)


async def test_a_redelivered_settlement_message_pays_once(
    db: Database, registry: BrandRegistry
) -> None:
    players = await _resulted_market_with_bets(db, registry, 2)
    await relay_batch(db, limit=100)
    (sent,) = queued_messages(sportsbook.QUEUE)
    broker.enqueue(sent)  # at-least-once: the same message twice

    async with running_worker(sportsbook.QUEUE):
        await asyncio.to_thread(broker.join, sportsbook.QUEUE, timeout=10_000)

    assert await _open_bets(db) == 0
    assert [await wallets(db, p) for p in players] == [{WalletKind.CASH: 20_00}] * 2
    async with db.uow() as uow:
        payouts = await uow.session.scalar(
            select(func.count()).where(LedgerTransaction.kind == "sportsbook.payout")
        )
    assert payouts == 2
    await assert_ledger_ok(db)


async def test_a_huge_market_is_settled_lane_by_lane_in_messages_of_their_own(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "LANE_MIN_BETS", 1)  # these 6 bets count as huge
    players = await _resulted_market_with_bets(db, registry, 6)
    await relay_batch(db, limit=100)

    async with running_worker(sportsbook.QUEUE):
        await asyncio.to_thread(broker.join, sportsbook.QUEUE, timeout=10_000)

    assert [await wallets(db, p) for p in players] == [{WalletKind.CASH: 20_00}] * 6
    async with db.uow() as uow:
        lanes = list(await uow.session.execute(select(RunLane.lane, RunLane.status)))
        run = (await uow.session.scalars(select(SettlementRun))).one()
    assert sorted(lanes) == [(0, "completed"), (1, "completed")]
    assert (run.status, run.bets_processed) == ("completed", 6)
    await assert_ledger_ok(db)
