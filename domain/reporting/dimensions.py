"""The product dimensions of a ledger transaction: game and provider for casino, sport,
competition and market type for sportsbook. Read from the product's own rows (by primary
key or an indexed id) after commit, so the stake path carries none of it.

A sportsbook bet over several markets (a multiple, a system) reports each dimension the
legs share, and `multiple` where they differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select

from domain.casino.models import RoundTransaction
from domain.kernel.db import UnitOfWork
from domain.reporting.kinds import Product
from domain.sportsbook.models import Bet, BetLeg, Competition, Event, Market, Sport

MIXED: Final = "multiple"
# A transaction whose product row cannot be found (never expected) still counts, here.
UNKNOWN: Final = "unknown"


@dataclass(frozen=True)
class Dimensions:
    game: str = ""
    provider: str = ""
    sport: str = ""
    competition: str = ""
    market_type: str = ""


async def of_transactions(
    uow: UnitOfWork, items: Sequence[tuple[Product, int, Mapping[str, Any]]]
) -> dict[int, Dimensions]:
    """The dimensions of many transactions, by transaction id, in three statements at
    most: the casino bets that wins and rollbacks name, and the sportsbook bets and their
    legs (_sportsbook_bets)."""
    bet_ids = {
        int(metadata["bet"])
        for product, _, metadata in items
        if product is Product.CASINO and metadata.get("game") is None
        and metadata.get("bet") is not None
    }  # fmt: skip
    games: dict[int, str] = {}
    if bet_ids:
        rows = await uow.session.execute(
            select(RoundTransaction.id, RoundTransaction.game_code).where(
                RoundTransaction.id.in_(sorted(bet_ids))
            )
        )
        games = {int(row.id): str(row.game_code) for row in rows}
    sportsbook_bets = await _sportsbook_bets(
        uow, [(tid, metadata) for product, tid, metadata in items if product is Product.SPORTSBOOK]
    )
    found: dict[int, Dimensions] = {}
    for product, transaction_id, metadata in items:
        if product is Product.CASINO:
            game = metadata.get("game")
            if game is None and metadata.get("bet") is not None:
                game = games.get(int(metadata["bet"]))
            found[transaction_id] = Dimensions(
                game=str(game or UNKNOWN), provider=str(metadata.get("provider") or UNKNOWN)
            )
        elif product is Product.SPORTSBOOK:
            found[transaction_id] = sportsbook_bets.get(transaction_id, _UNKNOWN_SPORTSBOOK)
        else:
            found[transaction_id] = Dimensions()
    return found


_UNKNOWN_SPORTSBOOK: Final = Dimensions(sport=UNKNOWN, competition=UNKNOWN, market_type=UNKNOWN)


async def _sportsbook_bets(
    uow: UnitOfWork, items: Sequence[tuple[int, Mapping[str, Any]]]
) -> dict[int, Dimensions]:
    """The dimensions of sportsbook transactions, by transaction id, in two statements
    at most whatever their number: the bets that stakes do not name (a stake is found by
    its transaction), then every bet's legs."""
    if not items:
        return {}
    bet_of: dict[int, int] = {
        tid: int(metadata["bet_id"])
        for tid, metadata in items
        if metadata.get("bet_id") is not None
    }
    unnamed = sorted(tid for tid, _ in items if tid not in bet_of)
    if unnamed:
        stakes = await uow.session.execute(
            select(Bet.stake_transaction_id, Bet.id).where(Bet.stake_transaction_id.in_(unnamed))
        )
        bet_of.update({int(tid): int(bet) for tid, bet in stakes if tid is not None})
    if not bet_of:
        return {}
    legs: dict[int, list[tuple[str, str, str]]] = {}
    leg_rows = await uow.session.execute(
        select(BetLeg.bet_id, Sport.key, Competition.key, Market.type)
        .select_from(BetLeg)
        .join(Market, Market.id == BetLeg.market_id)
        .join(Event, Event.id == BetLeg.event_id)
        .join(Competition, Competition.id == Event.competition_id)
        .join(Sport, Sport.id == Competition.sport_id)
        .where(BetLeg.bet_id.in_(sorted(set(bet_of.values()))))
    )
    for bet_id, sport, competition, market_type in leg_rows:
        legs.setdefault(int(bet_id), []).append((str(sport), str(competition), str(market_type)))
    return {tid: _shared_legs(legs[bet_id]) for tid, bet_id in bet_of.items() if bet_id in legs}


def _shared_legs(rows: Sequence[tuple[str, str, str]]) -> Dimensions:
    def shared(values: set[str]) -> str:
        return values.pop() if len(values) == 1 else MIXED

    return Dimensions(
        sport=shared({row[0] for row in rows}),
        competition=shared({row[1] for row in rows}),
        market_type=shared({row[2] for row in rows}),
    )
