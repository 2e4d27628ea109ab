"""The machinery of a chunked run over a market's bets (settlement, rollback, cancellation):
the run row (id from the message, request recorded to detect a reused id, cursor = the last
bet id handled), the keyset walk over the market's legs, bet locks, and the driver that
commits one chunk per transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, TEXT

from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.sportsbook.errors import MarketNotFound, RollbackInProgress, SettlementConflict
from domain.sportsbook.models import BetStatus, Market, RunKind, RunStatus, SettlementRun

CHUNK_SIZE = 500


@dataclass(frozen=True)
class Chunk:
    scanned: int
    changed: int
    done: bool


@dataclass(frozen=True)
class RunSummary:
    run_id: uuid.UUID
    bets_processed: int
    done: bool


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


_NEXT_BETS = text("""
SELECT bet_id FROM sportsbook_bet_legs
 WHERE market_id = :market AND bet_id > :cursor
 ORDER BY bet_id LIMIT :limit
""")

_LOCK_BETS = text("""
SELECT id, brand, player_id, currency, stake_minor, total_stake_minor, each_way, free_bet,
       combination_sizes, stake_split, settlement_count, potential_return_minor,
       payout_transaction_id, placed_at
  FROM sportsbook_bets
 WHERE id = ANY(:ids) AND status = ANY(:statuses)
 ORDER BY id
 FOR UPDATE
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)), bindparam("statuses", type_=ARRAY(TEXT)))


async def lock_run(uow: UnitOfWork, run_id: uuid.UUID) -> SettlementRun | None:
    return await uow.session.scalar(
        select(SettlementRun).where(SettlementRun.id == run_id).with_for_update()
    )


async def next_bet_ids(uow: UnitOfWork, run: SettlementRun, limit: int) -> list[int]:
    rows = await uow.session.scalars(
        _NEXT_BETS, {"market": run.market_id, "cursor": run.cursor_bet_id, "limit": limit}
    )
    return list(rows)


async def lock_bets(
    uow: UnitOfWork, ids: Sequence[int], statuses: Sequence[BetStatus]
) -> list[BetRow]:
    rows = await uow.session.execute(
        _LOCK_BETS, {"ids": list(ids), "statuses": [s.value for s in statuses]}
    )
    return [BetRow(*row) for row in rows]


def advance(run: SettlementRun, scanned: Sequence[int], changed: int, limit: int) -> Chunk:
    """Move the run's cursor past `scanned`; complete it when the market has no more."""
    if scanned:
        run.cursor_bet_id = max(scanned)
    run.bets_processed += changed
    done = len(scanned) < limit
    if done:
        run.status = RunStatus.COMPLETED.value
        run.completed_at = clock.now()
    return Chunk(len(scanned), changed, done)


# ---- driving a run -----------------------------------------------------------------------

Step = Callable[..., Awaitable[Chunk]]


async def drive(
    database: Database,
    step: Step,
    *,
    run_id: uuid.UUID,
    chunk_size: int,
    time_budget_s: float | None,
) -> RunSummary:
    """Run `step` chunk by chunk, one committed transaction each, until the run is done or
    the time budget is spent (the caller then continues it later: a new message, so one
    huge market never holds a worker, or other markets, for long)."""
    started = time.monotonic()
    processed = 0
    while True:
        async with database.uow() as uow:
            chunk = await step(uow, run_id=run_id, limit=chunk_size)
            await uow.commit()
        processed += chunk.changed
        if chunk.done:
            return RunSummary(run_id, processed, done=True)
        if time_budget_s is not None and time.monotonic() - started > time_budget_s:
            return RunSummary(run_id, processed, done=False)
