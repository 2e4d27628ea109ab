"""The live-bet delay: a bet on a live event is staked and held PENDING for the market's
delay, then accepted or refused here, on the prices and statuses of that moment.

The hook for the worker/subscription that drives it: call `decide_pending_bet` for each bet
of `pending_due` (a partial index keeps that read cheap), one unit of work per bet. The
odds policy decides a move: NONE refuses any change, HIGHER accepts only better odds, ANY
accepts whatever the odds are; an accepted bet takes the current odds (its potential return
and liability follow). A refusal returns the stake to the wallets that paid it. Either
decision writes a `BetUpdated` outbox event (the player's `betUpdated` subscription) in the
same transaction; an idempotent re-decision writes nothing. The scheduler's
`sportsbook.decide_pending_bets` job (workers/scheduler.py) drives it every second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT

from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit
from domain.sportsbook import returns
from domain.sportsbook.corrections import REFUND_SCOPE, refund, release_liabilities
from domain.sportsbook.errors import BetNotFound
from domain.sportsbook.events import BetUpdated, LiabilityChanged
from domain.sportsbook.models import Bet, BetLeg, BetStatus, OddsPolicy
from domain.sportsbook.placement import is_open, odds_accepted
from domain.sportsbook.repository import selections
from domain.sportsbook.runs import BetRow, lock_bets
from domain.wallets.settlement import pay_many

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingDecision:
    bet_id: int
    status: BetStatus
    # Why a bet was refused: SELECTION_SUSPENDED, ODDS_CHANGED or LIABILITY_LIMIT_EXCEEDED.
    reason: str | None = None


_ADD_LIABILITY = text("""
UPDATE sportsbook_outcome_liabilities li
   SET liability_minor = li.liability_minor + :delta
  FROM sportsbook_outcomes o JOIN sportsbook_markets m ON m.id = o.market_id
 WHERE li.outcome_id = o.id AND li.currency = :currency AND o.id = ANY(:outcomes)
   AND (m.liability_limit_minor IS NULL
        OR li.liability_minor + :delta <= m.liability_limit_minor)
RETURNING li.outcome_id
""").bindparams(bindparam("outcomes", type_=ARRAY(BIGINT)))


async def pending_due(uow: UnitOfWork, *, now: datetime, limit: int = 100) -> list[int]:
    """Pending bets whose delay is over, oldest first."""
    rows = await uow.session.scalars(
        select(Bet.id)
        .where(Bet.status == BetStatus.PENDING.value, Bet.accept_after <= now)
        .order_by(Bet.accept_after)
        .limit(limit)
    )
    return list(rows)


async def decide_due_bets(database: Database, *, batch_size: int, batches_max: int) -> int:
    """Accept or refuse the live bets whose delay is over, each in a unit of work of its
    own (one bet's failure or lock wait never holds the others back); returns how many
    were decided. `batch_size` bets at a time, up to `batches_max` batches a call; the
    next call continues with the rest. A flow: it opens and commits its own units of work."""
    decided = 0
    for _ in range(batches_max):
        async with database.uow() as uow:
            due = await pending_due(uow, now=clock.now(), limit=batch_size)
        failed = 0
        for bet_id in due:
            try:
                async with database.transaction() as uow:
                    await decide_pending_bet(uow, bet_id=bet_id)
            except Exception:
                # Logged and left pending: the next call tries it again.
                log.exception("deciding pending bet %d failed", bet_id, extra={"bet_id": bet_id})
                failed += 1
                continue
            decided += 1
        # A failed bet stays due: stop here rather than read it again in this call.
        if failed or len(due) < batch_size:
            break
    return decided


async def decide_pending_bet(uow: UnitOfWork, *, bet_id: int) -> PendingDecision:
    """Accept or refuse a PENDING bet on the current prices. Idempotent: a bet no longer
    pending answers its status, and nothing changes. Errors: BetNotFound."""
    bets = await lock_bets(uow, [bet_id], [BetStatus.PENDING])
    if not bets:
        status = await uow.session.scalar(select(Bet.status).where(Bet.id == bet_id))
        if status is None:
            raise BetNotFound(field="betId")
        return PendingDecision(bet_id, BetStatus(status))
    bet = bets[0]
    row = await uow.session.get_one(Bet, bet_id)
    legs = list(
        await uow.session.scalars(
            select(BetLeg).where(BetLeg.bet_id == bet_id).order_by(BetLeg.leg_number)
        )
    )
    current = await selections(uow, [leg.outcome_id for leg in legs], bet.currency)
    policy = OddsPolicy(row.odds_policy)
    if any(leg.outcome_id not in current or not is_open(current[leg.outcome_id]) for leg in legs):
        return await _refuse(uow, bet_id, "SELECTION_SUSPENDED")
    if not all(odds_accepted(policy, leg.odds, current[leg.outcome_id].odds) for leg in legs):
        return await _refuse(uow, bet_id, "ODDS_CHANGED")
    new_odds = [current[leg.outcome_id].odds for leg in legs]
    if new_odds != [leg.odds for leg in legs]:
        potential = _potential(row, legs, new_odds)
        if not await _move_liability(uow, row, legs, potential - row.potential_return_minor):
            return await _refuse(uow, bet_id, "LIABILITY_LIMIT_EXCEEDED")
        for leg, odds in zip(legs, new_odds, strict=True):
            leg.odds = odds
        row.potential_return_minor = potential
    row.status = BetStatus.OPEN.value
    await uow.flush()
    await _emit_updated(uow, bet, BetStatus.OPEN)
    # Traders' liabilityChanged: the bet is on the book now, at the odds it took (its
    # liability moved with them). Brand-less, like every liability announcement: a
    # trader of every brand may watch the market.
    markets = sorted({leg.market_id for leg in legs})
    await emit(uow, LiabilityChanged(market_ids=markets), brand=None)
    return PendingDecision(bet_id, BetStatus.OPEN)


def _potential(bet: Bet, legs: list[BetLeg], odds: list[Decimal]) -> int:
    return_legs = []
    for leg, price in zip(legs, odds, strict=True):
        terms = None
        if bet.each_way:
            assert leg.each_way_places is not None
            assert leg.each_way_fraction_numerator is not None
            assert leg.each_way_fraction_denominator is not None
            terms = returns.PlaceTerms(
                leg.each_way_places,
                Fraction(leg.each_way_fraction_numerator, leg.each_way_fraction_denominator),
            )
        return_legs.append(returns.Leg(Fraction(price), terms))
    gross = returns.potential_return_minor(
        bet.stake_minor, return_legs, tuple(bet.combination_sizes), each_way=bet.each_way
    )
    return returns.net_return_minor(gross, bet.total_stake_minor, free_bet=bet.free_bet)


async def _move_liability(uow: UnitOfWork, bet: Bet, legs: list[BetLeg], delta: int) -> bool:
    """Shift the bet's liability by `delta` on every leg's outcome, within each market's
    limit; all or nothing (a partial move is undone before answering False)."""
    outcomes = sorted(leg.outcome_id for leg in legs)
    params = {"delta": delta, "currency": bet.currency, "outcomes": outcomes}
    moved = list(await uow.session.scalars(_ADD_LIABILITY, params))
    if len(moved) == len(outcomes) or delta == 0:
        return True
    if moved:
        undo = text("""
            UPDATE sportsbook_outcome_liabilities SET liability_minor = liability_minor - :delta
             WHERE currency = :currency AND outcome_id = ANY(:outcomes)
        """).bindparams(bindparam("outcomes", type_=ARRAY(BIGINT)))
        await uow.session.execute(undo, {**params, "outcomes": moved})
    return False


async def _refuse(uow: UnitOfWork, bet_id: int, reason: str) -> PendingDecision:
    (bet,) = await lock_bets(uow, [bet_id], [BetStatus.PENDING])
    await release_liabilities(uow, [bet_id])
    key = f"bet:{bet_id}:refusal"
    transactions = await pay_many(
        uow, [refund(bet, key)], scope=REFUND_SCOPE, kind="sportsbook.refund"
    )
    row = await uow.session.get_one(Bet, bet_id)
    row.status = BetStatus.REFUSED.value
    row.payout_minor = bet.total_stake_minor
    row.payout_transaction_id = transactions[key]
    row.settled_at = clock.now()
    await uow.flush()
    await _emit_updated(uow, bet, BetStatus.REFUSED)
    return PendingDecision(bet_id, BetStatus.REFUSED, reason)


async def _emit_updated(uow: UnitOfWork, bet: BetRow, status: BetStatus) -> None:
    await emit(
        uow, BetUpdated(bet_id=bet.id, player_id=bet.player_id, status=status.value),
        brand=bet.brand,
    )  # fmt: skip
