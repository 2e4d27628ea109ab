"""Corrections of a market's bets: rolling back a settlement, cancelling bets placed in a
window. Both run in chunks like settlement (`settlement.drive`), idempotent per run id.

Rollback: the first transaction clears the market's results (so no other market's run can
settle a reopened multiple on the old results) and marks it suspended, awaiting new
results; each chunk reverses the payouts of its settled bets through
`wallets.settlement.reverse_many` (new ledger transactions negating the payouts; nothing
is deleted) and reopens them. A payout the player already spent cannot be reversed: that
bet stays settled and is listed on the run for the risk team, never paid twice.

Cancellation voids every open or pending bet with a leg on the market placed inside the
window: liability released, stake returned to the wallets that paid it; the bet records
the cancel run. A cancellation of the whole market (a void: no window, or the trader's
"void market") leaves its bets VOID, as a market resulted void would; one of a window
leaves them CANCELLED. Either way a rollback of a settlement never touches them (it
undoes only what a settle run did): only uncancellation reinstates them. Uncancellation
(the feed's rollback_bet_cancel) reinstates exactly the bets that run voided: the refund
reversed, the liability taken again, the bet open. A refund the player already spent
cannot be reversed: that bet stays void or cancelled and is listed on the run, never
refunded twice.

Every refund, payout and reversal key carries the bet's settlement number (one more at
each settlement and cancellation), so a bet cancelled, reinstated and cancelled again is
refunded again under a new key instead of replaying the first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT

from domain.bonuses import free_bets
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.sportsbook.errors import MarketNotSettled
from domain.sportsbook.events import LiabilityChanged
from domain.sportsbook.models import (
    SETTLED_STATUSES,
    BetLeg,
    BetStatus,
    Market,
    MarketStatus,
    Outcome,
    RunKind,
    RunStatus,
    SettlementRun,
    SuspensionReason,
)
from domain.sportsbook.runs import (
    CHUNK_SIZE,
    BetRow,
    Chunk,
    RunSummary,
    advance,
    drive,
    existing_run,
    lock_bets,
    lock_lane,
    lock_market,
    next_bet_ids,
    start_run,
    stop_runs,
)
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import WalletKind
from domain.wallets.settlement import Payout, Reversal, pay_many, reverse_many

REVERSAL_SCOPE = IdempotencyScope("sportsbook", "sportsbook.payout_reversal")
REFUND_SCOPE = IdempotencyScope("sportsbook", "sportsbook.refund")
REFUND_REVERSAL_SCOPE = IdempotencyScope("sportsbook", "sportsbook.refund_reversal")
# A cancellation without a window voids every bet ever placed on the market: the market is
# void as a whole.
WINDOW_START = datetime(2000, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(9999, 1, 1, tzinfo=UTC)

_REOPEN_BETS = text("""
UPDATE sportsbook_bets
   SET status = 'open', payout_minor = NULL, payout_transaction_id = NULL,
       settled_at = NULL, settlement_run_id = NULL
 WHERE id = ANY(:ids) AND status IN ('won', 'lost', 'void')
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)))

_REOPEN_LEGS = text("""
UPDATE sportsbook_bet_legs SET result = NULL, win_factor = NULL, place_factor = NULL
 WHERE bet_id = ANY(:ids)
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)))

# :status is 'void' for a whole market's cancellation, 'cancelled' for a window's.
_CANCEL_BETS = text("""
UPDATE sportsbook_bets b
   SET status = :status, payout_minor = b.total_stake_minor,
       payout_transaction_id = u.transaction_id, settled_at = now(),
       settlement_run_id = :run, settlement_count = b.settlement_count + 1
  FROM unnest(CAST(:ids AS bigint[]), CAST(:transactions AS bigint[])) AS u(id, transaction_id)
 WHERE b.id = u.id AND b.status IN ('open', 'pending')
""")

# Liability rows are locked in (outcome, currency) order, as placement locks them, before
# any wallet: the same global order, so a cancellation and a placement never deadlock.
_LOCK_LIABILITIES = text("""
SELECT li.outcome_id FROM sportsbook_outcome_liabilities li
  JOIN sportsbook_bet_legs l ON l.outcome_id = li.outcome_id
  JOIN sportsbook_bets b ON b.id = l.bet_id AND b.currency = li.currency
 WHERE b.id = ANY(:ids)
 ORDER BY li.outcome_id, li.currency
 FOR UPDATE OF li
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)))

_REINSTATE_BETS = text("""
UPDATE sportsbook_bets
   SET status = 'open', payout_minor = NULL, payout_transaction_id = NULL,
       settled_at = NULL, settlement_run_id = NULL
 WHERE id = ANY(:ids) AND status IN ('cancelled', 'void')
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)))

# :sign is -1 to release the bets' potential returns, +1 to take them again.
_MOVE_LIABILITIES = text("""
UPDATE sportsbook_outcome_liabilities li
   SET liability_minor = li.liability_minor + CAST(:sign AS bigint) * d.amount
  FROM (SELECT l.outcome_id, b.currency, sum(b.potential_return_minor) AS amount
          FROM sportsbook_bet_legs l JOIN sportsbook_bets b ON b.id = l.bet_id
         WHERE b.id = ANY(:ids)
         GROUP BY l.outcome_id, b.currency) d
 WHERE li.outcome_id = d.outcome_id AND li.currency = d.currency
""").bindparams(bindparam("ids", type_=ARRAY(BIGINT)))


async def release_liabilities(uow: UnitOfWork, bet_ids: Sequence[int]) -> None:
    """Take the bets' potential returns off their outcomes' liabilities (bets leaving the
    book before settlement: cancelled, refused)."""
    if bet_ids:
        await uow.session.execute(_LOCK_LIABILITIES, {"ids": list(bet_ids)})
        await uow.session.execute(_MOVE_LIABILITIES, {"ids": list(bet_ids), "sign": -1})
        markets = await uow.session.scalars(
            select(BetLeg.market_id).where(BetLeg.bet_id.in_(bet_ids)).distinct()
        )
        # The bets may span brands: every trader watching these markets hears of it.
        await emit(uow, LiabilityChanged(market_ids=sorted(markets)), brand=None)


def refund_key(bet_id: int, settlement_number: int) -> str:
    return f"bet:{bet_id}:cancel:{settlement_number}"


def refund_reversal_key(bet_id: int, settlement_number: int) -> str:
    return f"bet:{bet_id}:cancel:{settlement_number}:reversal"


def refund(bet: BetRow, key: str) -> Payout:
    """The whole stake back to the wallets that paid it."""
    assert bet.stake_split, "an accepted bet records how its stake was paid"
    return Payout(
        brand=bet.brand,
        player_id=bet.player_id,
        currency=bet.currency,
        amount_minor=bet.total_stake_minor,
        stake_split={WalletKind(kind): int(paid) for kind, paid in bet.stake_split.items()},
        key=key,
        metadata={"bet_id": bet.id},
    )


# ---- rollback ----------------------------------------------------------------------------


async def start_rollback(uow: UnitOfWork, *, market_id: int, run_id: uuid.UUID) -> None:
    """Errors: MarketNotFound, MarketNotSettled, SettlementConflict, RollbackInProgress."""
    market = await lock_market(uow, market_id)
    run = await existing_run(uow, run_id, market_id=market_id, kind=RunKind.ROLLBACK, request={})
    if run is not None:
        return
    if market.status != MarketStatus.SETTLED:
        raise MarketNotSettled(field="marketId")
    # A settle run still going stops at its next chunk (it sees its lanes completed).
    await stop_runs(uow, market_id)
    await begin_rollback(uow, market, run_id)


async def begin_rollback(uow: UnitOfWork, market: Market, run_id: uuid.UUID) -> None:
    """Clear the market's results, suspend it and open the rollback run (the caller has
    locked the market and checked that no other run of it is running)."""
    await uow.session.execute(
        update(Outcome)
        .where(Outcome.market_id == market.id)
        .values(
            result=None,
            dead_heat_numerator=1,
            dead_heat_denominator=1,
            place_result=None,
            place_dead_heat_numerator=1,
            place_dead_heat_denominator=1,
            position=None,
        )
    )
    market.status = MarketStatus.SUSPENDED.value
    market.suspended_by = SuspensionReason.FEED.value
    market.settled_at = None
    await start_run(uow, run_id, market_id=market.id, kind=RunKind.ROLLBACK, request={})


async def settled_by_settlement(uow: UnitOfWork, bets: Sequence[BetRow]) -> list[BetRow]:
    """The bets a settle run settled: a bet a whole-market cancellation voided is VOID
    too, but its refund is the cancellation's to reverse (uncancel), never a rollback's
    (which would reopen a bet on a market that stays void, or on another market of the
    same multiple)."""
    runs = {bet.settlement_run_id for bet in bets if bet.settlement_run_id is not None}
    if not runs:
        return list(bets)
    cancels = set(
        await uow.session.scalars(
            select(SettlementRun.id).where(
                SettlementRun.id.in_(runs), SettlementRun.kind == RunKind.CANCEL.value
            )
        )
    )
    return [bet for bet in bets if bet.settlement_run_id not in cancels]


def reversal_key(bet_id: int, settlement_number: int) -> str:
    return f"bet:{bet_id}:reversal:{settlement_number}"


async def rollback_chunk(
    uow: UnitOfWork, *, run_id: uuid.UUID, lane: int = 0, limit: int = CHUNK_SIZE
) -> Chunk:
    run, walk = await lock_lane(uow, run_id, lane)
    assert run.kind == RunKind.ROLLBACK
    if walk.status == RunStatus.COMPLETED:
        return Chunk(0, 0, done=True)
    scanned = await next_bet_ids(uow, run, walk, limit)
    bets = await settled_by_settlement(uow, await lock_bets(uow, scanned, SETTLED_STATUSES))
    reversed_ = await reverse_many(
        uow,
        [
            Reversal(
                bet.brand, bet.payout_transaction_id, reversal_key(bet.id, bet.settlement_count)
            )
            for bet in bets
            if bet.payout_transaction_id is not None
        ],
        scope=REVERSAL_SCOPE,
        kind="sportsbook.payout_reversal",
    )
    stuck = [
        bet.id for bet in bets if reversal_key(bet.id, bet.settlement_count) in reversed_.short
    ]
    reopened = [bet.id for bet in bets if bet.id not in stuck]
    if reopened:
        await uow.session.execute(_REOPEN_BETS, {"ids": reopened})
        await uow.session.execute(_REOPEN_LEGS, {"ids": reopened})
        # A reopened free bet's bet stakes its free bet again, as before the settlement.
        await free_bets.bets_reopened(
            uow, [bet.id for bet in bets if bet.free_bet and bet.id not in stuck]
        )
    await _keep_unreversed(uow, run_id, stuck)
    chunk = await advance(uow, walk, scanned, len(reopened), limit)
    await uow.flush()
    return chunk


async def rollback_settlement(
    database: Database,
    *,
    market_id: int,
    run_id: uuid.UUID,
    chunk_size: int = CHUNK_SIZE,
    time_budget_s: float | None = None,
) -> RunSummary:
    """Undo the market's settlement: payouts reversed, bets reopened, results cleared, the
    market suspended until new results settle it again (under new payout keys).

    Errors: MarketNotFound, MarketNotSettled, SettlementConflict, RollbackInProgress."""
    async with database.uow() as uow:
        await start_rollback(uow, market_id=market_id, run_id=run_id)
        await uow.commit()
    return await drive(
        database, rollback_chunk, run_id=run_id, chunk_size=chunk_size, time_budget_s=time_budget_s
    )


# ---- cancellation ------------------------------------------------------------------------


def _window(placed_from: datetime, placed_to: datetime) -> dict[str, str]:
    assert placed_from.tzinfo is not None, "windows are timezone-aware"
    assert placed_to.tzinfo is not None, "windows are timezone-aware"
    assert placed_from < placed_to
    return {"placed_from": placed_from.isoformat(), "placed_to": placed_to.isoformat()}


def _cancelled_status(placed_from: datetime, placed_to: datetime) -> BetStatus:
    """VOID for the whole market's cancellation (the market is void), else CANCELLED."""
    whole = placed_from <= WINDOW_START and placed_to >= WINDOW_END
    return BetStatus.VOID if whole else BetStatus.CANCELLED


async def cancel_chunk(
    uow: UnitOfWork, *, run_id: uuid.UUID, lane: int = 0, limit: int = CHUNK_SIZE
) -> Chunk:
    run, walk = await lock_lane(uow, run_id, lane)
    assert run.kind == RunKind.CANCEL
    if walk.status == RunStatus.COMPLETED:
        return Chunk(0, 0, done=True)
    placed_from = datetime.fromisoformat(run.request["placed_from"])
    placed_to = datetime.fromisoformat(run.request["placed_to"])
    scanned = await next_bet_ids(uow, run, walk, limit)
    candidates = await lock_bets(uow, scanned, [BetStatus.OPEN, BetStatus.PENDING])
    bets = [bet for bet in candidates if placed_from <= bet.placed_at < placed_to]
    await release_liabilities(uow, [bet.id for bet in bets])
    keys = {bet.id: refund_key(bet.id, bet.settlement_count + 1) for bet in bets}
    transactions = await pay_many(
        uow,
        [refund(bet, keys[bet.id]) for bet in bets],
        scope=REFUND_SCOPE,
        kind="sportsbook.refund",
    )
    if bets:
        await uow.session.execute(
            _CANCEL_BETS,
            {
                "run": run_id,
                "status": _cancelled_status(placed_from, placed_to).value,
                "ids": [bet.id for bet in bets],
                "transactions": [transactions[keys[bet.id]] for bet in bets],
            },
        )
        # A cancelled free bet's stake is back in the free-bet wallet: usable again.
        await free_bets.bets_settled(
            uow, void_bet_ids=[bet.id for bet in bets if bet.free_bet], settled_bet_ids=[]
        )
    chunk = await advance(uow, walk, scanned, len(bets), limit)
    await uow.flush()
    return chunk


async def cancel_bets(
    database: Database,
    *,
    market_id: int,
    placed_from: datetime,
    placed_to: datetime,
    run_id: uuid.UUID,
    chunk_size: int = CHUNK_SIZE,
    time_budget_s: float | None = None,
) -> RunSummary:
    """Void every open or pending bet with a leg on the market placed in
    [placed_from, placed_to): stake returned, liability released. (A multiple is cancelled
    whole; voiding just its leg is for the trading tools.)

    Errors: MarketNotFound, SettlementConflict, RollbackInProgress."""
    request = _window(placed_from, placed_to)
    async with database.uow() as uow:
        await lock_market(uow, market_id)
        run = await existing_run(
            uow, run_id, market_id=market_id, kind=RunKind.CANCEL, request=request
        )
        if run is None:
            run = await start_run(
                uow, run_id, market_id=market_id, kind=RunKind.CANCEL, request=request
            )
        await uow.commit()
    return await drive(
        database, cancel_chunk, run_id=run_id, chunk_size=chunk_size, time_budget_s=time_budget_s
    )


# ---- uncancellation ----------------------------------------------------------------------


async def uncancel_chunk(
    uow: UnitOfWork, *, run_id: uuid.UUID, lane: int = 0, limit: int = CHUNK_SIZE
) -> Chunk:
    """Reinstate the lane's next bets that the run's cancel run voided (see the module
    docstring)."""
    run, walk = await lock_lane(uow, run_id, lane)
    assert run.kind == RunKind.UNCANCEL
    if walk.status == RunStatus.COMPLETED:
        return Chunk(0, 0, done=True)
    cancel_run = uuid.UUID(run.request["cancel_run_id"])
    scanned = await next_bet_ids(uow, run, walk, limit)
    candidates = await lock_bets(uow, scanned, [BetStatus.CANCELLED, BetStatus.VOID])
    bets = [bet for bet in candidates if bet.settlement_run_id == cancel_run]
    # Liabilities before wallets, the order placement takes them in.
    if bets:
        await uow.session.execute(_LOCK_LIABILITIES, {"ids": [bet.id for bet in bets]})
    keys = {bet.id: refund_reversal_key(bet.id, bet.settlement_count) for bet in bets}
    reversed_ = await reverse_many(
        uow,
        [
            Reversal(bet.brand, bet.payout_transaction_id, keys[bet.id])
            for bet in bets
            if bet.payout_transaction_id is not None
        ],
        scope=REFUND_REVERSAL_SCOPE,
        kind="sportsbook.refund_reversal",
    )
    stuck = [bet.id for bet in bets if keys[bet.id] in reversed_.short]
    reinstated = [bet.id for bet in bets if bet.id not in stuck]
    if reinstated:
        await uow.session.execute(_MOVE_LIABILITIES, {"ids": reinstated, "sign": 1})
        await uow.session.execute(_REINSTATE_BETS, {"ids": reinstated})
        await free_bets.bets_reopened(
            uow, [bet.id for bet in bets if bet.free_bet and bet.id not in stuck]
        )
    await _keep_unreversed(uow, run_id, stuck)
    chunk = await advance(uow, walk, scanned, len(reinstated), limit)
    await uow.flush()
    return chunk


async def _keep_unreversed(uow: UnitOfWork, run_id: uuid.UUID, bet_ids: list[int]) -> None:
    """List on the run the bets whose ledger reversal fell short (the player no longer
    holds the money): the correction left them as they were."""
    if bet_ids:
        await uow.session.execute(
            update(SettlementRun)
            .where(SettlementRun.id == run_id)
            .values(unreversed_bet_ids=SettlementRun.unreversed_bet_ids.concat(bet_ids))
        )
