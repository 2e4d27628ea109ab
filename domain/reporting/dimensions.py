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


async def of_transaction(
    uow: UnitOfWork, product: Product, transaction_id: int, metadata: Mapping[str, Any]
) -> Dimensions:
    if product is Product.CASINO:
        return await _casino(uow, metadata)
    if product is Product.SPORTSBOOK:
        return await _sportsbook(uow, transaction_id, metadata)
    return Dimensions()


async def of_transactions(
    uow: UnitOfWork, items: Sequence[tuple[Product, int, Mapping[str, Any]]]
) -> dict[int, Dimensions]:
    """The dimensions of many transactions, by transaction id: the casino bets that wins
    and rollbacks name are read in one statement; sportsbook bets one by one (their legs)."""
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
            found[transaction_id] = await _sportsbook(uow, transaction_id, metadata)
        else:
            found[transaction_id] = Dimensions()
    return found


async def _casino(uow: UnitOfWork, metadata: Mapping[str, Any]) -> Dimensions:
    provider = str(metadata.get("provider") or UNKNOWN)
    game = metadata.get("game")
    if game is None and metadata.get("bet") is not None:
        # Wins and rollbacks name the bet they settle; the bet row has the game.
        game = await uow.session.scalar(
            select(RoundTransaction.game_code).where(RoundTransaction.id == int(metadata["bet"]))
        )
    return Dimensions(game=str(game or UNKNOWN), provider=provider)


async def _sportsbook(
    uow: UnitOfWork, transaction_id: int, metadata: Mapping[str, Any]
) -> Dimensions:
    bet_id = metadata.get("bet_id")
    if bet_id is None:
        bet_id = await uow.session.scalar(
            select(Bet.id).where(Bet.stake_transaction_id == transaction_id)
        )
    if bet_id is None:
        return Dimensions(sport=UNKNOWN, competition=UNKNOWN, market_type=UNKNOWN)
    rows = (
        await uow.session.execute(
            select(Sport.key, Competition.key, Market.type)
            .select_from(BetLeg)
            .join(Market, Market.id == BetLeg.market_id)
            .join(Event, Event.id == BetLeg.event_id)
            .join(Competition, Competition.id == Event.competition_id)
            .join(Sport, Sport.id == Competition.sport_id)
            .where(BetLeg.bet_id == int(bet_id))
        )
    ).all()
    if not rows:
        return Dimensions(sport=UNKNOWN, competition=UNKNOWN, market_type=UNKNOWN)

    def shared(values: set[str]) -> str:
        return values.pop() if len(values) == 1 else MIXED

    return Dimensions(
        sport=shared({row[0] for row in rows}),
        competition=shared({row[1] for row in rows}),
        market_type=shared({row[2] for row in rows}),
    )
