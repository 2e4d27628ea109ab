"""The machinery of a chunked run over a market's bets (settlement, rollback, cancellation):
the run row (id from the message, request recorded to detect a reused id), its lanes (the
market's bets split by player, each lane with its cursor = the last bet id it handled), the
keyset walk over a lane's legs, bet locks, and the driver that commits one chunk per
transaction and drives a run's lanes side by side.

Lanes let a huge market use more than one core: on two cores, one lane's Python work runs
while PostgreSQL works on the other's chunk. A lane takes the bets of its players only
(by the last byte of the player's id), so lanes never share a bet or a wallet and never
wait for each other's wallet locks (split by bet id ranges instead, two lanes paying the
same busy players would take turns). A lane's row is its chunks' lock; the run's row is
locked only when a lane completes, to complete the run with its last lane."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, TEXT

from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.sportsbook.errors import MarketNotFound, RollbackInProgress, SettlementConflict
from domain.sportsbook.models import (
    BetStatus,
    Market,
    RunKind,
    RunLane,
    RunStatus,
    SettlementRun,
)

CHUNK_SIZE = 500
# A settlement of at least LANE_MIN_BETS legs is split into lanes (settings.settlement_lanes).
LANE_MIN_BETS = 4 * CHUNK_SIZE


@dataclass(frozen=True)
class Chunk:
    scanned: int
    changed: int
    done: bool


@dataclass(frozen=True)
class RunSummary:
    run_id: uuid.UUID
    bets_processed: int
    # The whole run is complete (every lane, wherever it was driven).
    done: bool
    # The lanes driven here that stopped on the time budget: to continue in new messages.
    unfinished_lanes: tuple[int, ...] = ()


@dataclass(frozen=True)
class BetRow:
    id: int
    brand: str
    player_id: uuid.UUID
    currency: str
    stake_minor: int
    total_stake_minor: int
    each_way: bool
    free_bet: bool
    combination_sizes: list[int]
    stake_split: dict[str, int] | None
    settlement_count: int
    potential_return_minor: int
    payout_transaction_id: int | None
    placed_at: datetime
    # The run that settled or cancelled it last (NULL while open).
    settlement_run_id: uuid.UUID | None


async def lock_market(uow: UnitOfWork, market_id: int) -> Market:
    """The market row FOR UPDATE: settlement, rollback and cancellation of one market start
    one at a time. Errors: MarketNotFound."""
    market = await uow.session.scalar(
        select(Market).where(Market.id == market_id).with_for_update()
    )
    if market is None:
        raise MarketNotFound(field="marketId")
    return market


async def existing_run(
    uow: UnitOfWork, run_id: uuid.UUID, *, market_id: int, kind: RunKind, request: dict[str, Any]
) -> SettlementRun | None:
    """The run already holding `run_id` (a redelivered message), checked to be this very
    request. Errors: SettlementConflict, RollbackInProgress (another correction running)."""
    run = await uow.session.get(SettlementRun, run_id)
    if run is not None:
        if (run.market_id, run.kind, run.request) != (market_id, kind.value, request):
            raise SettlementConflict(field="runId")
        return run
    busy = await uow.session.scalar(
        select(SettlementRun.id).where(
            SettlementRun.market_id == market_id,
            SettlementRun.status == RunStatus.RUNNING.value,
            SettlementRun.kind.in_([RunKind.ROLLBACK.value, RunKind.CANCEL.value]),
        )
    )
    if busy is not None:
        raise RollbackInProgress(field="marketId")
    return None


# A lane takes the bets of the players whose id ends in a byte (random in a v4 or v7 UUID)
# equal to the lane modulo the run's lane count. A scalar subquery, so the player of each
# leg walked is found by the bets' primary key (as an EXISTS, the planner may hash the whole
# bets table on every chunk instead).
_NEXT_BETS = text("""
SELECT l.bet_id FROM sportsbook_bet_legs l
 WHERE l.market_id = :market AND l.bet_id > :cursor
   AND (:lanes = 1 OR (
        SELECT get_byte(uuid_send(b.player_id), 15) FROM sportsbook_bets b WHERE b.id = l.bet_id
       ) % :lanes = :lane)
 ORDER BY l.bet_id LIMIT :limit
""")

_LEGS_OF_MARKET = text("SELECT count(*) FROM sportsbook_bet_legs WHERE market_id = :market")

_LOCK_BETS = text("""
SELECT id, brand, player_id, currency, stake_minor, total_stake_minor, each_way, free_bet,
       combination_sizes, stake_split, settlement_count, potential_return_minor,
       payout_transaction_id, placed_at, settlement_run_id
  FROM sportsbook_bets
 WHERE id = ANY(:ids) AND status = ANY(:statuses)
 ORDER BY id
 FOR UPDATE
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)), bindparam("statuses", type_=ARRAY(TEXT)))


async def start_run(
    uow: UnitOfWork,
    run_id: uuid.UUID,
    *,
    market_id: int,
    kind: RunKind,
    request: dict[str, Any],
    lanes: int = 1,
) -> SettlementRun:
    """A new running run over the market's bets, with its lanes: one, or `lanes` when the
    market has at least LANE_MIN_BETS legs."""
    if lanes > 1:
        legs = await uow.session.scalar(_LEGS_OF_MARKET, {"market": market_id})
        if (legs or 0) < LANE_MIN_BETS:
            lanes = 1
    run = SettlementRun(
        id=run_id,
        market_id=market_id,
        kind=kind.value,
        status=RunStatus.RUNNING.value,
        request=request,
        bets_processed=0,
        unreversed_bet_ids=[],
    )
    uow.session.add(run)
    await uow.flush()
    lanes = max(1, lanes)
    uow.session.add_all(
        RunLane(
            run_id=run_id,
            lane=number,
            cursor_bet_id=0,
            lanes=lanes,
            status=RunStatus.RUNNING.value,
            bets_processed=0,
        )
        for number in range(lanes)
    )
    await uow.flush()
    return run


async def lock_lane(uow: UnitOfWork, run_id: uuid.UUID, lane: int) -> tuple[SettlementRun, RunLane]:
    """The lane FOR UPDATE (a duplicate delivery of the same chunk waits here) and its run."""
    found = await uow.session.scalar(
        select(RunLane).where(RunLane.run_id == run_id, RunLane.lane == lane).with_for_update()
    )
    run = await uow.session.get(SettlementRun, run_id)
    assert found is not None, "runs are opened with their lanes"
    assert run is not None
    return run, found


async def next_bet_ids(uow: UnitOfWork, run: SettlementRun, lane: RunLane, limit: int) -> list[int]:
    rows = await uow.session.scalars(
        _NEXT_BETS,
        {
            "market": run.market_id,
            "cursor": lane.cursor_bet_id,
            "lane": lane.lane,
            "lanes": lane.lanes,
            "limit": limit,
        },
    )
    return list(rows)


async def lock_bets(
    uow: UnitOfWork, ids: Sequence[int], statuses: Sequence[BetStatus]
) -> list[BetRow]:
    rows = await uow.session.execute(
        _LOCK_BETS, {"ids": list(ids), "statuses": [s.value for s in statuses]}
    )
    return [BetRow(*row) for row in rows]


async def advance(
    uow: UnitOfWork, lane: RunLane, scanned: Sequence[int], changed: int, limit: int
) -> Chunk:
    """Move the lane's cursor past `scanned`. A lane the market has no more bets for is
    completed, and its run with its last lane (under the run's row lock, so two lanes
    finishing together agree on which is last)."""
    if scanned:
        lane.cursor_bet_id = max(scanned)
    lane.bets_processed += changed
    done = len(scanned) < limit
    if done:
        lane.status = RunStatus.COMPLETED.value
        await uow.flush()
        # populate_existing: the run was read before the lock (lock_lane); without it the
        # session would keep that copy, and two lanes ending together would each add their
        # count to a stale total.
        run = await uow.session.scalar(
            select(SettlementRun)
            .where(SettlementRun.id == lane.run_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert run is not None
        others = await uow.session.scalar(
            select(func.count())
            .select_from(RunLane)
            .where(
                RunLane.run_id == lane.run_id,
                RunLane.lane != lane.lane,
                RunLane.status == RunStatus.RUNNING.value,
            )
        )
        run.bets_processed += lane.bets_processed
        if not others and run.status == RunStatus.RUNNING:
            run.status = RunStatus.COMPLETED.value
            run.completed_at = clock.now()
    return Chunk(len(scanned), changed, done)


async def stop_runs(uow: UnitOfWork, market_id: int) -> None:
    """Complete the market's running runs and their lanes: a lane's next chunk sees itself
    completed and stops (one in flight holds its lane's lock: this waits for it)."""
    running = select(SettlementRun.id).where(
        SettlementRun.market_id == market_id, SettlementRun.status == RunStatus.RUNNING.value
    )
    await uow.session.execute(
        update(RunLane)
        .where(RunLane.run_id.in_(running), RunLane.status == RunStatus.RUNNING.value)
        .values(status=RunStatus.COMPLETED.value)
    )
    await uow.session.execute(
        update(SettlementRun)
        .where(SettlementRun.id.in_(running))
        .values(status=RunStatus.COMPLETED.value, completed_at=clock.now())
    )


# ---- driving a run -----------------------------------------------------------------------

Step = Callable[..., Awaitable[Chunk]]


async def running_lanes(uow: UnitOfWork, run_id: uuid.UUID) -> list[int]:
    return list(
        await uow.session.scalars(
            select(RunLane.lane)
            .where(RunLane.run_id == run_id, RunLane.status == RunStatus.RUNNING.value)
            .order_by(RunLane.lane)
        )
    )


async def drive(
    database: Database,
    step: Step,
    *,
    run_id: uuid.UUID,
    chunk_size: int,
    time_budget_s: float | None,
    lanes: Sequence[int] | None = None,
) -> RunSummary:
    """Run `step` on `lanes` (None: each lane still running), the lanes side by side, chunk
    by chunk, one committed transaction each, until they are done or the time budget is
    spent (the caller then continues them later: new messages, so one huge market never
    holds a worker, or other markets, for long). Each lane uses a connection of its own.
    Workers give each lane of a huge market its own message, so lanes run in several
    processes (see workers/actors/sportsbook.py)."""
    started = time.monotonic()
    if lanes is None:
        async with database.uow() as uow:
            lanes = await running_lanes(uow, run_id)
    unfinished: list[int] = []

    async def drive_lane(lane: int) -> int:
        processed = 0
        while True:
            async with database.uow() as uow:
                chunk = await step(uow, run_id=run_id, lane=lane, limit=chunk_size)
                await uow.commit()
            processed += chunk.changed
            if chunk.done:
                return processed
            if time_budget_s is not None and time.monotonic() - started > time_budget_s:
                unfinished.append(lane)
                return processed

    # A lane that fails cancels the others (their committed chunks stay): the run is
    # continued later, each lane from its cursor.
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(drive_lane(lane)) for lane in lanes]
    except BaseExceptionGroup as failed:
        if len(failed.exceptions) == 1:  # one lane failed: its error, as with one lane
            raise failed.exceptions[0] from None
        raise
    processed = sum(task.result() for task in tasks)
    async with database.uow() as uow:
        status = await uow.session.scalar(
            select(SettlementRun.status).where(SettlementRun.id == run_id)
        )
    return RunSummary(
        run_id,
        processed,
        done=status == RunStatus.COMPLETED,
        unfinished_lanes=tuple(sorted(unfinished)),
    )
