"""A player's bets for the API: keyset pages (newest first), legs batched by bet, and bets
by id (brand-scoped; the caller checks whose they are)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from domain.kernel import paging
from domain.kernel.db import UnitOfWork
from domain.sportsbook.models import Bet, BetLeg, BetStatus, Outcome
from domain.sportsbook.queries import BetWithLegs


class BetGroup(StrEnum):
    """What a bet history tab shows: bets still running, or bets that are done."""

    OPEN = "open"
    SETTLED = "settled"


GROUP_STATUSES = {
    BetGroup.OPEN: (BetStatus.PENDING, BetStatus.OPEN),
    BetGroup.SETTLED: (
        BetStatus.WON,
        BetStatus.LOST,
        BetStatus.VOID,
        BetStatus.CASHED_OUT,
        BetStatus.CANCELLED,
        BetStatus.REFUSED,
    ),
}


def encode_cursor(bet_id: int) -> str:
    return paging.encode_cursor("b1", bet_id)


def decode_cursor(text: str) -> int:
    """Errors: InvalidCursor."""
    (bet_id,) = paging.decode_cursor(text, "b1", paging.ID)
    return bet_id


@dataclass(frozen=True)
class BetPage:
    bets: list[Bet]
    has_next_page: bool


async def player_bets(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    *,
    first: int,
    after: str | None,
    group: BetGroup | None,
) -> BetPage:
    """Errors: InvalidPageSize, InvalidCursor."""
    paging.check_page_size(first)
    statement = select(Bet).where(Bet.brand == brand, Bet.player_id == player_id)
    if after is not None:
        statement = statement.where(Bet.id < decode_cursor(after))
    if group is not None:
        statement = statement.where(Bet.status.in_([s.value for s in GROUP_STATUSES[group]]))
    rows = list(await uow.session.scalars(statement.order_by(Bet.id.desc()).limit(first + 1)))
    return BetPage(rows[:first], len(rows) > first)


async def bets_by_id(uow: UnitOfWork, brand: str, ids: Sequence[int]) -> dict[int, Bet]:
    rows = await uow.session.scalars(select(Bet).where(Bet.brand == brand, Bet.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def bet_with_legs(uow: UnitOfWork, brand: str, bet_id: int) -> BetWithLegs | None:
    """A bet of `brand` with its legs and their outcomes, in one statement: what a placement
    shows of the bet it just made, read in the placement's own transaction."""
    rows = (
        await uow.session.execute(
            select(Bet, BetLeg, Outcome)
            .outerjoin(BetLeg, BetLeg.bet_id == Bet.id)
            .outerjoin(Outcome, Outcome.id == BetLeg.outcome_id)
            .where(Bet.brand == brand, Bet.id == bet_id)
            .order_by(BetLeg.leg_number)
        )
    ).all()
    if not rows:
        return None
    legs = [leg for _bet, leg, _outcome in rows if leg is not None]
    outcomes = {outcome.id: outcome for _bet, _leg, outcome in rows if outcome is not None}
    return BetWithLegs(rows[0][0], legs, outcomes)


async def legs_of(uow: UnitOfWork, bet_ids: Sequence[int]) -> dict[int, list[BetLeg]]:
    found: dict[int, list[BetLeg]] = {bet: [] for bet in bet_ids}
    rows = await uow.session.scalars(
        select(BetLeg)
        .where(BetLeg.bet_id.in_(list(bet_ids)))
        .order_by(BetLeg.bet_id, BetLeg.leg_number)
    )
    for row in rows:
        found[row.bet_id].append(row)
    return found


async def player_bet_ids(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, ids: Sequence[int]
) -> list[int]:
    """Which of `ids` are the player's (for pushing settled chunks to their owners)."""
    rows = await uow.session.scalars(
        select(Bet.id)
        .where(Bet.brand == brand, Bet.player_id == player_id, Bet.id.in_(list(ids)))
        .order_by(Bet.id)
    )
    return list(rows)


async def open_liability(uow: UnitOfWork, brand: str) -> dict[str, int]:
    """Currency -> the potential returns of the brand's open and pending bets, in minor
    units: what the book would pay if every one of them won (one statement)."""
    rows = await uow.session.execute(
        select(Bet.currency, func.sum(Bet.potential_return_minor))
        .where(Bet.brand == brand, Bet.status.in_((BetStatus.OPEN, BetStatus.PENDING)))
        .group_by(Bet.currency)
        .order_by(Bet.currency)
    )
    return {currency: int(total or 0) for currency, total in rows}
