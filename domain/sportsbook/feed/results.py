"""A market's results and cancellation as the feed says them, and the runs that bring its
bets into line.

Feeds correct themselves in bursts: bet_settlement, rollback_bet_settlement, bet_settlement
with other results, bet_cancel, rollback_bet_cancel, sent a moment apart and delivered in
any order, some twice. Two registers per market (`FeedMarketResults`) hold what they say:
the results (set by bet_settlement, cleared by rollback_bet_settlement) and the
cancellation window (set by bet_cancel, cleared by rollback_bet_cancel). Each message
assigns one register outright and stamps it with its sequence; a message not newer than
the register's stamp changes nothing. So after any set of messages the registers are what
applying them in producer order gives, whatever order they were delivered in: a message
never waits for another, and none is dropped or dies because of ordering.

The bets follow the registers through runs (`converge`), one at a time per market. Under
the market's lock: a running run is driven to its end first (a run once started is never
stopped, so no payout or refund is ever half undone); otherwise the next run is chosen
from what the runs have applied and what the registers want:

1. results applied that are not wanted, or a cancellation to change under them: rollback
   (payouts reversed, bets reopened);
2. a cancellation applied that is not wanted: uncancel (refunds reversed, bets reinstated);
3. a cancellation wanted and not applied: cancel the bets placed in its window;
4. results wanted and not applied: settle.

Undoing goes in the reverse order of doing, so each run finds the bets as it expects them.
Applied equal to wanted is the fixpoint: a duplicate request finds nothing to do. Every
step's money moves under keys numbered by the bet's settlement count, so a bet settled,
rolled back and settled again is paid under a new key, and never twice under one.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings
from domain.sportsbook.corrections import (
    WINDOW_END,
    WINDOW_START,
    begin_rollback,
    cancel_chunk,
    rollback_chunk,
    uncancel_chunk,
)
from domain.sportsbook.feed.events import EventUpdated, MarketCorrectionRequested
from domain.sportsbook.feed.port import (
    BetCancel,
    BetSettlement,
    OutcomeResult,
    RollbackBetCancel,
    RollbackBetSettlement,
)
from domain.sportsbook.models import (
    Event,
    FeedMarketResults,
    Market,
    MarketStatus,
    Outcome,
    ResultKind,
    RunKind,
    RunStatus,
    SettlementRun,
    SuspensionReason,
)
from domain.sportsbook.returns import LegResult
from domain.sportsbook.runs import CHUNK_SIZE, Step, drive, lock_market, start_run
from domain.sportsbook.settlement import (
    results_from_json,
    results_to_json,
    settle_chunk,
    write_results,
)

log = logging.getLogger(__name__)

ResultMessage = BetSettlement | BetCancel | RollbackBetSettlement | RollbackBetCancel
STEPS: dict[RunKind, Step] = {
    RunKind.ROLLBACK: rollback_chunk,
    RunKind.UNCANCEL: uncancel_chunk,
    RunKind.CANCEL: cancel_chunk,
    RunKind.SETTLE: settle_chunk,
}
Window = tuple[datetime, datetime]


# ---- what the feed says ------------------------------------------------------------------


async def want(
    uow: UnitOfWork,
    market: Market,
    message: ResultMessage,
    outcomes: Sequence[OutcomeResult] = (),
) -> bool:
    """Record what `message` says about the market (locked by the caller; `outcomes`: a
    settlement's results for it), unless its register holds a newer message's word.
    Returns whether it took; if so, `sportsbook.correct_market` is asked to converge."""
    registers = await _registers(uow, market.id)
    if isinstance(message, BetSettlement | RollbackBetSettlement):
        if message.sequence <= registers.results_sequence:
            return False
        results = None
        if isinstance(message, BetSettlement):
            results = await _results_of(uow, market, outcomes)
            if results is None:
                log.error("feed settlement of market %s does not fit its outcomes", market.id)
                return False
        registers.results_sequence, registers.results = message.sequence, results
    else:
        if message.sequence <= registers.cancel_sequence:
            return False
        registers.cancel_sequence = message.sequence
        registers.cancel_from, registers.cancel_to = (
            (message.start or WINDOW_START, message.end or WINDOW_END)
            if isinstance(message, BetCancel)
            else (None, None)
        )
    await emit(uow, MarketCorrectionRequested(market_id=market.id), brand=None)
    return True


async def _registers(uow: UnitOfWork, market_id: int) -> FeedMarketResults:
    await uow.session.execute(
        insert(FeedMarketResults).values(market_id=market_id).on_conflict_do_nothing()
    )
    registers = await uow.session.scalar(
        select(FeedMarketResults)
        .where(FeedMarketResults.market_id == market_id)
        .execution_options(populate_existing=True)
    )
    assert registers is not None
    return registers


async def _results_of(
    uow: UnitOfWork, market: Market, outcomes: Sequence[OutcomeResult]
) -> dict[str, dict[str, str]] | None:
    """The settlement as results by outcome id; None when it does not name exactly the
    market's outcomes with meaningful results."""
    ids = dict(
        (await uow.session.execute(
            select(Outcome.key, Outcome.id).where(Outcome.market_id == market.id)
        )).all()
    )  # fmt: skip
    places = market.each_way_places
    tied = Counter(r.place for r in outcomes if r.place is not None)
    legs = {
        r.key: leg
        for r in outcomes
        if (leg := leg_result(r, places, tied=tied.get(r.place, 1) if r.place else 1)) is not None
    }
    if set(legs) != set(ids) or len(legs) != len(outcomes):
        return None
    return results_to_json({ids[key]: leg for key, leg in legs.items()})


def leg_result(  # noqa: PLR0911 (one return per meaningless combination)
    result: OutcomeResult, places: int | None = None, *, tied: int = 1
) -> LegResult | None:
    """The industry's (result, void factor, dead-heat factor, finishing position) as our
    LegResult; None when the combination means nothing. With the market's each-way
    `places`, a finishing position decides the place part: placed within them, else lost
    (without a position, a winner is placed and a loser is not). `tied` runners sharing
    the position across the last place share the places left (two tied for 3rd of 3
    places: the place part's dead-heat factor is 1/2). Pure."""
    dead_heat = Fraction(result.dead_heat_factor)
    if not 0 < dead_heat <= 1 or result.result not in (0, 1):
        return None
    if result.place is not None and (places is None or result.void_factor != 0):
        return None  # a position means something only on a market with place terms
    if result.void_factor == 1:
        return LegResult(ResultKind.VOID)
    if result.void_factor == Decimal("0.5"):
        return LegResult(ResultKind.HALF_WIN if result.result else ResultKind.HALF_LOSE)
    if result.void_factor != 0:
        return None
    placed = None
    place_heat = Fraction(1)
    if result.place is not None and places is not None:
        placed = ResultKind.WIN if result.place <= places else ResultKind.LOSE
        if result.result == 1 and placed is ResultKind.LOSE:
            return None  # a winner finished outside the places: contradictory
        if placed is ResultKind.WIN and tied > 1:
            place_heat = Fraction(min(places - result.place + 1, tied), tied)
    position = result.place
    if result.result == 1:
        return LegResult(ResultKind.WIN, dead_heat, placed, place_heat, position)
    return LegResult(
        ResultKind.LOSE, place_result=placed, place_dead_heat=place_heat, position=position
    )


# ---- bringing the bets into line ---------------------------------------------------------


async def converge(
    database: Database,
    *,
    market_id: int,
    chunk_size: int = CHUNK_SIZE,
    time_budget_s: float | None = None,
) -> bool:
    """Run the market's runs, one after the other, until its bets agree with what the
    feed says (see the module docstring). Returns False when the time budget ran out
    first: the caller continues later (everything is in the database). Safe to run
    several at once: they take turns on the market's and the lanes' locks.

    Errors: MarketNotFound, InvalidResults (the market's outcomes changed since)."""
    started = time.monotonic()
    while True:
        async with database.uow() as uow:
            run = await next_run(uow, market_id)
            await uow.commit()
        if run is None:
            return True
        run_id, kind = run
        left_s = None if time_budget_s is None else time_budget_s - (time.monotonic() - started)
        if left_s is not None and left_s <= 0:
            return False
        summary = await drive(
            database, STEPS[kind], run_id=run_id, chunk_size=chunk_size, time_budget_s=left_s
        )
        if not summary.done:
            return False


async def next_run(uow: UnitOfWork, market_id: int) -> tuple[uuid.UUID, RunKind] | None:
    """The market's running run, else the next one to start (started here), else None:
    the bets agree with the registers."""
    market = await lock_market(uow, market_id)
    running = (
        await uow.session.execute(
            select(SettlementRun.id, SettlementRun.kind)
            .where(
                SettlementRun.market_id == market_id,
                SettlementRun.status == RunStatus.RUNNING.value,
            )
            .order_by(SettlementRun.created_at)
            .limit(1)
        )
    ).first()
    if running is not None:
        return running.id, RunKind(running.kind)
    registers = await uow.session.get(FeedMarketResults, market_id, populate_existing=True)
    if registers is None:
        return None
    wanted = _window(registers.cancel_from, registers.cancel_to)
    applied = await _applied_window(uow, registers)
    run_id, before = uuid.uuid4(), market.status
    if registers.applied_results is not None and (
        registers.applied_results != registers.results or applied != wanted
    ):
        await begin_rollback(uow, market, run_id)
        registers.applied_results = None
        kind = RunKind.ROLLBACK
    elif applied is not None and applied != wanted:
        await start_run(
            uow, run_id, market_id=market_id, kind=RunKind.UNCANCEL,
            request={"cancel_run_id": str(registers.applied_cancel_run_id)},
        )  # fmt: skip
        registers.applied_cancel_run_id, applied = None, None
        kind = RunKind.UNCANCEL
    elif wanted is not None and applied is None:
        await start_run(
            uow, run_id, market_id=market_id, kind=RunKind.CANCEL,
            request={"placed_from": wanted[0].isoformat(), "placed_to": wanted[1].isoformat()},
        )  # fmt: skip
        registers.applied_cancel_run_id, applied = run_id, wanted
        kind = RunKind.CANCEL
    elif registers.results is not None and registers.applied_results is None:
        await write_results(uow, market_id, results_from_json(registers.results))
        await start_run(
            uow, run_id, market_id=market_id, kind=RunKind.SETTLE,
            request={"results": registers.results}, lanes=get_settings().settlement_lanes,
        )  # fmt: skip
        registers.applied_results = registers.results
        kind = RunKind.SETTLE
    else:
        return None
    _show(market, settled=registers.applied_results is not None, cancelled=applied)
    if market.status != before:
        await _emit_status(uow, market)
    await uow.flush()
    return run_id, kind


def _show(market: Market, *, settled: bool, cancelled: Window | None) -> None:
    """The market's status from what its runs apply, in one place whatever the step: void
    as a whole, else settled, else (no longer closed) suspended until the feed prices it
    again; a market cancelled only in a window keeps its status."""
    if cancelled == (WINDOW_START, WINDOW_END):
        market.status, market.suspended_by = MarketStatus.CANCELLED.value, None
    elif settled:
        if market.status != MarketStatus.SETTLED:
            market.settled_at = clock.now()
        market.status, market.suspended_by = MarketStatus.SETTLED.value, None
    elif market.status in (MarketStatus.SETTLED, MarketStatus.CANCELLED):
        market.status = MarketStatus.SUSPENDED.value
        market.suspended_by = SuspensionReason.FEED.value


def _window(start: datetime | None, end: datetime | None) -> Window | None:
    return (start, end) if start is not None and end is not None else None


async def _applied_window(uow: UnitOfWork, registers: FeedMarketResults) -> Window | None:
    if registers.applied_cancel_run_id is None:
        return None
    run = await uow.session.get(SettlementRun, registers.applied_cancel_run_id)
    assert run is not None, "the applied cancellation is a run of the market"
    return (
        datetime.fromisoformat(run.request["placed_from"]),
        datetime.fromisoformat(run.request["placed_to"]),
    )


async def _emit_status(uow: UnitOfWork, market: Market) -> None:
    event = await uow.session.get_one(Event, market.event_id)
    await emit(
        uow,
        EventUpdated(
            event_id=event.id,
            status=event.status,
            score=event.score,
            markets=[{"market_id": market.id, "status": market.status}],
        ),
        brand=None,
    )
