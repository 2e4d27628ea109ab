"""Reading game rounds: a player's rounds (keyset pages, newest first), rounds by id, the
provider transactions of many rounds at once, and the big-win rule.

Every statement is brand-scoped. A round's totals (stake, wins, refunds) are kept by the
wallet callbacks under the round's lock, so they agree with its transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Final

from sqlalchemy import ColumnElement, and_, case, select

from domain.casino.models import GameRound, RoundTransaction, TransactionStatus
from domain.kernel import paging
from domain.kernel.db import UnitOfWork
from domain.kernel.money import exponent, is_supported_currency
from domain.kernel.paging import ID, INSTANT, check_page_size, decode_cursor, encode_cursor

PAGE_SIZE_DEFAULT: Final = 20
# The schema's argument docs cite it.
PAGE_SIZE_MAX: Final = paging.PAGE_SIZE_MAX


@dataclass(frozen=True)
class BigWinRule:
    """A round is a big win when its wins reach `stake_multiple` times its stake and at
    least the minimum of its currency (a currency without one is never flagged)."""

    stake_multiple: int
    min_amount_minor: Mapping[str, int]

    @classmethod
    def of(
        cls,
        *,
        stake_multiple: int,
        default_amount: Decimal,
        amounts: Mapping[str, Decimal],
        currencies: Iterable[str],
    ) -> BigWinRule:
        """The rule for `currencies`, amounts given in major units (rounded up to the
        currency's minor unit)."""
        minimums = {}
        for currency in currencies:
            if is_supported_currency(currency):
                amount = amounts.get(currency, default_amount)
                scaled = amount.scaleb(exponent(currency)).to_integral_value(ROUND_CEILING)
                minimums[currency] = int(scaled)
        return cls(stake_multiple, minimums)

    def flags(self, win_minor: int, bet_minor: int, currency: str) -> bool:
        minimum = self.min_amount_minor.get(currency)
        return (
            minimum is not None
            and bet_minor > 0
            and win_minor >= bet_minor * self.stake_multiple
            and win_minor >= minimum
        )

    def condition(self) -> ColumnElement[bool]:
        """The same rule in SQL (a currency without a minimum compares with NULL: false)."""
        if not self.min_amount_minor:
            return GameRound.id.is_(None)
        minimum = case(dict(self.min_amount_minor), value=GameRound.currency, else_=None)
        return and_(
            GameRound.bet_minor > 0,
            GameRound.win_minor >= GameRound.bet_minor * self.stake_multiple,
            GameRound.win_minor >= minimum,
        )


@dataclass(frozen=True)
class Round:
    id: int
    provider: str
    player_id: uuid.UUID
    # The provider's round id.
    round_ref: str
    game_code: str
    currency: str
    status: str
    bet_minor: int
    win_minor: int
    refund_minor: int
    opened_at: datetime
    closed_at: datetime | None
    big_win: bool


@dataclass(frozen=True)
class Transaction:
    id: int
    round_id: int
    kind: str
    status: str
    # The provider's transaction id and, for wins and rollbacks, the bet's.
    transaction_uuid: str
    reference_transaction_uuid: str | None
    amount_minor: int
    currency: str
    ledger_transaction_id: int | None
    response_status: str | None
    created_at: datetime


@dataclass(frozen=True)
class RoundCursor:
    """A position in a newest-first order of rounds: (opened_at, id); player pages order
    by id alone and carry opened_at for symmetry."""

    opened_at: datetime
    round_id: int
    version: str = "r1"

    def encode(self) -> str:
        return encode_cursor(self.version, self.opened_at, self.round_id)

    @classmethod
    def decode(cls, text: str) -> RoundCursor:
        """Errors: InvalidCursor."""
        return cls(*decode_cursor(text, "r1", INSTANT, ID))


@dataclass(frozen=True)
class RoundPage:
    rounds: list[Round]
    has_next_page: bool


def to_round(row: GameRound, rule: BigWinRule) -> Round:
    return Round(
        id=row.id,
        provider=row.provider,
        player_id=row.player_id,
        round_ref=row.round_ref,
        game_code=row.game_code,
        currency=row.currency,
        status=row.status,
        bet_minor=row.bet_minor,
        win_minor=row.win_minor,
        refund_minor=row.refund_minor,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        big_win=rule.flags(row.win_minor, row.bet_minor, row.currency),
    )


def page_of(rows: Sequence[GameRound], first: int, rule: BigWinRule) -> RoundPage:
    rounds = [to_round(row, rule) for row in rows[:first]]
    return RoundPage(rounds, has_next_page=len(rows) > first)


async def player_rounds(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    rule: BigWinRule,
    *,
    first: int = PAGE_SIZE_DEFAULT,
    after: RoundCursor | None = None,
) -> RoundPage:
    """The player's rounds, newest first: one statement. Errors: InvalidPageSize."""
    check_page_size(first)
    statement = select(GameRound).where(GameRound.brand == brand, GameRound.player_id == player_id)
    if after is not None:
        statement = statement.where(GameRound.id < after.round_id)
    rows = list(await uow.session.scalars(statement.order_by(GameRound.id.desc()).limit(first + 1)))
    return page_of(rows, first, rule)


async def rounds_by_id(
    uow: UnitOfWork,
    brand: str,
    ids: Sequence[int],
    rule: BigWinRule,
    *,
    player_id: uuid.UUID | None = None,
) -> dict[int, Round]:
    """The brand's rounds among `ids` (and only `player_id`'s, when given)."""
    if not ids:
        return {}
    statement = select(GameRound).where(GameRound.brand == brand, GameRound.id.in_(list(ids)))
    if player_id is not None:
        statement = statement.where(GameRound.player_id == player_id)
    return {row.id: to_round(row, rule) for row in await uow.session.scalars(statement)}


async def transactions_of(
    uow: UnitOfWork, brand: str, round_ids: Sequence[int]
) -> dict[int, list[Transaction]]:
    """The provider transactions (bets, wins, rollbacks) of each round, oldest first: one
    statement for a page of rounds. Tombstones (a rollback's mark for a bet that never
    came) belong to no round and are left out."""
    found: dict[int, list[Transaction]] = {round_id: [] for round_id in round_ids}
    if not round_ids:
        return found
    rows = await uow.session.scalars(
        select(RoundTransaction)
        .where(
            RoundTransaction.brand == brand,
            RoundTransaction.round_id.in_(list(round_ids)),
            RoundTransaction.status != TransactionStatus.TOMBSTONE.value,
        )
        .order_by(RoundTransaction.id)
    )
    for row in rows:
        assert row.round_id is not None
        found[row.round_id].append(
            Transaction(
                id=row.id,
                round_id=row.round_id,
                kind=row.kind,
                status=row.status,
                transaction_uuid=row.transaction_uuid,
                reference_transaction_uuid=row.reference_transaction_uuid,
                amount_minor=row.amount_minor,
                currency=row.currency,
                ledger_transaction_id=row.ledger_transaction_id,
                response_status=row.response_status,
                created_at=row.created_at,
            )
        )
    return found
