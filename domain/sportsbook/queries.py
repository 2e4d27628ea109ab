"""Reads of bets (for replays, the live-delay worker and, later, the GraphQL resolvers)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from domain.kernel.db import UnitOfWork
from domain.sportsbook.errors import BetNotFound
from domain.sportsbook.models import Bet, BetLeg, BetStatus, Outcome


@dataclass(frozen=True)
class BetWithLegs:
    bet: Bet
    # In the order of the slip.
    legs: list[BetLeg]
    # The legs' outcomes by id.
    outcomes: dict[int, Outcome]


@dataclass(frozen=True)
class PlacedBet:
    bet_id: int
    status: BetStatus
    total_stake_minor: int
    potential_return_minor: int
    # The odds taken, per selection in slip order.
    odds: tuple[Decimal, ...]
    accept_after: datetime | None
    # True when this was a replay of an earlier placement with the same key.
    replayed: bool = False
    # A new bet as it was written, with its legs and their outcomes, built from what the
    # placement had in hand (None on a replay: read it back). The API shows it without a read.
    shown: BetWithLegs | None = None


async def bet_by_key(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, key: str
) -> tuple[int, bytes] | None:
    row = (
        await uow.session.execute(
            select(Bet.id, Bet.request_hash).where(
                Bet.brand == brand, Bet.player_id == player_id, Bet.idempotency_key == key
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def placed_bet(uow: UnitOfWork, bet_id: int, *, replayed: bool = False) -> PlacedBet:
    """Errors: BetNotFound."""
    bet = await uow.session.get(Bet, bet_id)
    if bet is None:
        raise BetNotFound(field="betId")
    legs = await uow.session.scalars(
        select(BetLeg.odds).where(BetLeg.bet_id == bet_id).order_by(BetLeg.leg_number)
    )
    return PlacedBet(
        bet_id=bet.id,
        status=BetStatus(bet.status),
        total_stake_minor=bet.total_stake_minor,
        potential_return_minor=bet.potential_return_minor,
        odds=tuple(legs),
        accept_after=bet.accept_after,
        replayed=replayed,
    )


# A span keeps at most 128 links by default (the SDK's limit); more would be dropped.
PLACEMENT_TRACES_MAX = 128


async def placement_traces(
    uow: UnitOfWork, market_id: int, *, limit: int = PLACEMENT_TRACES_MAX
) -> list[str]:
    """The `traceparent`s of traced bets with a leg on `market_id`, oldest first: what a
    settlement of the market links its span to. Read only while tracing is on."""
    rows = await uow.session.scalars(
        select(Bet.trace_parent)
        .join(BetLeg, BetLeg.bet_id == Bet.id)
        .where(BetLeg.market_id == market_id, Bet.trace_parent.is_not(None))
        .order_by(Bet.id)
        .limit(limit)
    )
    return [row for row in rows if row]


async def settlement_backlog(uow: UnitOfWork) -> int:
    """Open bets with a leg on a resulted outcome that settlement has not reached yet: the
    bets players wait on to be paid. (Results still in the outbox or the queue show as
    their lag, not here.)"""
    count = await uow.session.scalar(
        select(func.count(func.distinct(BetLeg.bet_id)))
        .select_from(BetLeg)
        .join(Outcome, Outcome.id == BetLeg.outcome_id)
        .join(Bet, Bet.id == BetLeg.bet_id)
        .where(
            Outcome.result.is_not(None),
            BetLeg.result.is_(None),
            Bet.status == BetStatus.OPEN.value,
        )
    )
    return int(count or 0)
