"""The read side of a player's wallets: balances of many players at once, the movement
history as keyset pages (newest first), and a bounded, batched walk for CSV export.

A movement is one ledger entry on one of the player's wallets. A transaction that moves
two of the player's wallets (e.g. cash -> withdrawal_pending) is two movements with the
same transaction id. Every statement here is brand-scoped and one page is one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TypeAlias

from sqlalchemy import Row, Select, and_, func, select
from sqlalchemy.orm import aliased

from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.paging import (
    ID,
    INSTANT,
    check_page_size,
    cursor_version,
    decode_cursor,
    encode_cursor,
)
from domain.wallets.models import LedgerAccount, LedgerEntry, LedgerTransaction, WalletKind
from domain.wallets.service import Balance

PAGE_SIZE_DEFAULT: Final = 20
# An export is a statement for the player, not a data dump: past this, narrow the range.
EXPORT_ROWS_MAX: Final = 100_000
EXPORT_BATCH_ROWS: Final = 1_000
KINDS_MAX: Final = 20
KIND_LENGTH_MAX: Final = 64
PLAYERS_PER_BALANCE_BATCH_MAX: Final = 1_000
_CURSOR_VERSION: Final = "v2"
# Cursors of the time-ordered history (created_at, entry id); still accepted, by the entry
# they name, so a client paging across a deploy neither fails nor skips.
_CURSOR_VERSION_TIME_ORDERED: Final = "v1"


class InvalidHistoryFilter(DomainError):
    code = "INVALID_FILTER"
    message = "The filter is invalid."


@dataclass(frozen=True)
class Cursor:
    """A position in the newest-first order: the entry id (see `_history_statement`)."""

    entry_id: int

    def encode(self) -> str:
        return encode_cursor(_CURSOR_VERSION, self.entry_id)

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Errors: InvalidCursor."""
        if cursor_version(text) == _CURSOR_VERSION_TIME_ORDERED:
            _, entry_id = decode_cursor(text, _CURSOR_VERSION_TIME_ORDERED, INSTANT, ID)
        else:
            (entry_id,) = decode_cursor(text, _CURSOR_VERSION, ID)
        return cls(entry_id)


@dataclass(frozen=True)
class HistoryFilter:
    """Which movements to list. `since` is inclusive, `until` exclusive; naive datetimes
    are read as UTC."""

    kinds: tuple[str, ...] = ()
    wallet: WalletKind | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(
        cls,
        *,
        kinds: Iterable[str] | None = None,
        wallet: WalletKind | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> HistoryFilter:
        """A validated filter. Errors: InvalidHistoryFilter."""
        unique_kinds = tuple(sorted(set(kinds or ())))
        if len(unique_kinds) > KINDS_MAX or any(
            not 0 < len(kind) <= KIND_LENGTH_MAX for kind in unique_kinds
        ):
            raise InvalidHistoryFilter(
                f"Give at most {KINDS_MAX} kinds of 1-{KIND_LENGTH_MAX} characters.", field="kinds"
            )
        since, until = _aware(since), _aware(until)
        if since is not None and until is not None and since >= until:
            raise InvalidHistoryFilter("`from` must be before `to`.", field="from")
        return cls(unique_kinds, wallet, since, until)


@dataclass(frozen=True)
class Movement:
    entry_id: int
    transaction_id: int
    player_id: uuid.UUID
    kind: str
    wallet: WalletKind
    currency: str
    # Signed: positive credits the wallet, negative debits it.
    amount_minor: int
    balance_after_minor: int
    created_at: datetime
    # The sportsbook bet the transaction moved money for (its stake, payout, refund,
    # cash-out, or the reversal of one), from the posting's metadata; None otherwise.
    bet_id: int | None = None

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.entry_id)


@dataclass(frozen=True)
class Page:
    movements: list[Movement]
    has_next_page: bool


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


# entry id, transaction id, player id, transaction kind, wallet kind, currency, amount,
# balance after, created at, bet id.
_MovementSelect: TypeAlias = Select[
    int, int, uuid.UUID | None, str, str, str, int, int | None, datetime, int | None
]
# The transaction a reversal reverses (its metadata names it): a reversed payout's
# reversal names the bet through it.
_REVERSED = aliased(LedgerTransaction, name="reversed")


def _movements() -> _MovementSelect:
    return select(
        LedgerEntry.id,
        LedgerEntry.transaction_id,
        LedgerAccount.player_id,
        LedgerTransaction.kind,
        LedgerAccount.kind,
        LedgerEntry.currency,
        LedgerEntry.amount,
        LedgerEntry.balance_after,
        LedgerEntry.created_at,
        func.coalesce(
            LedgerTransaction.metadata_["bet_id"].as_integer(),
            _REVERSED.metadata_["bet_id"].as_integer(),
        ),
    ).select_from(
        LedgerEntry.__table__.join(
            LedgerAccount.__table__, LedgerAccount.id == LedgerEntry.account_id
        )
        .join(LedgerTransaction.__table__, LedgerTransaction.id == LedgerEntry.transaction_id)
        .outerjoin(
            _REVERSED,
            and_(
                _REVERSED.id == LedgerTransaction.metadata_["reverses"].as_integer(),
                _REVERSED.brand == LedgerTransaction.brand,
            ),
        )
    )


def _history_statement(
    brand: str, player_id: uuid.UUID, filters: HistoryFilter, after: Cursor | None, limit: int
) -> _MovementSelect:
    statement = _movements().where(
        LedgerAccount.brand == brand,
        LedgerAccount.player_id == player_id,
        LedgerTransaction.brand == brand,
    )
    if filters.wallet is not None:
        statement = statement.where(LedgerAccount.kind == filters.wallet.value)
    if filters.kinds:
        statement = statement.where(LedgerTransaction.kind.in_(filters.kinds))
    if filters.since is not None:
        statement = statement.where(LedgerEntry.created_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(LedgerEntry.created_at < filters.until)
    if after is not None:
        statement = statement.where(LedgerEntry.id < after.entry_id)
    # Newest first by entry id, not by time: an entry's created_at is its transaction's
    # start, but entries are written later, under the wallet's row lock, and take their id
    # there. So per wallet the id order is the order the balance moved in (each row's
    # balance_after minus its amount is the previous row's), which times do not give
    # under concurrency.
    return statement.order_by(LedgerEntry.id.desc()).limit(limit)


def _movement(
    row: Row[int, int, uuid.UUID | None, str, str, str, int, int | None, datetime, int | None],
) -> Movement:
    entry_id, transaction_id, player_id, kind, wallet, currency, amount, balance, at, bet = row
    # Programmer errors: callers select player wallets only, which record running balances.
    assert player_id is not None, "a movement is on a player wallet"
    assert balance is not None, "player wallets record their running balance"
    return Movement(
        entry_id=entry_id,
        transaction_id=transaction_id,
        player_id=player_id,
        kind=kind,
        wallet=WalletKind(wallet),
        currency=currency,
        amount_minor=amount,
        balance_after_minor=balance,
        created_at=at,
        bet_id=bet,
    )


async def page(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    *,
    first: int = PAGE_SIZE_DEFAULT,
    after: Cursor | None = None,
    filters: HistoryFilter | None = None,
) -> Page:
    """One page of the player's movements, newest first, after `after`. One statement.
    Errors: InvalidPageSize."""
    check_page_size(first)
    # One extra row tells whether another page follows, without a count.
    statement = _history_statement(brand, player_id, filters or HistoryFilter(), after, first + 1)
    rows = (await uow.session.execute(statement)).all()
    movements = [_movement(row) for row in rows[:first]]
    return Page(movements, has_next_page=len(rows) > first)


async def count_for_export(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    filters: HistoryFilter,
    *,
    rows_max: int = EXPORT_ROWS_MAX,
) -> int:
    """How many movements an export would hold, counted up to `rows_max + 1` (so a
    caller can refuse an export over the cap before streaming anything)."""
    capped = _history_statement(brand, player_id, filters, None, rows_max + 1).subquery()
    return int(await uow.session.scalar(select(func.count()).select_from(capped)) or 0)


async def export_batches(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    filters: HistoryFilter,
    *,
    rows_max: int = EXPORT_ROWS_MAX,
    batch_rows: int = EXPORT_BATCH_ROWS,
) -> AsyncIterator[list[Movement]]:
    """The player's movements, newest first, in batches of `batch_rows` (one keyset
    statement each), stopping after `rows_max` rows however many exist.

    Run it in its own unit of work: it switches the transaction to REPEATABLE READ so every
    batch reads the same snapshot (nothing is skipped or repeated when the player bets
    during the export).
    """
    assert 1 <= batch_rows <= rows_max
    await uow.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    after: Cursor | None = None
    remaining = rows_max
    while remaining > 0:
        limit = min(batch_rows, remaining)
        statement = _history_statement(brand, player_id, filters, after, limit)
        batch = [_movement(row) for row in (await uow.session.execute(statement)).all()]
        if not batch:
            return
        yield batch
        if len(batch) < limit:
            return
        remaining -= len(batch)
        after = batch[-1].cursor


async def movements_by_id(
    uow: UnitOfWork, brand: str, entry_ids: Sequence[int]
) -> dict[int, Movement]:
    """Movements on player wallets of `brand` by entry id (unknown ids are left out)."""
    if not entry_ids:
        return {}
    rows = await uow.session.execute(
        _movements().where(
            LedgerEntry.id.in_(entry_ids),
            LedgerAccount.brand == brand,
            LedgerAccount.player_id.is_not(None),
        )
    )
    return {movement.entry_id: movement for movement in map(_movement, rows.all())}


async def balances_of(
    uow: UnitOfWork, brand: str, player_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Balance]]:
    """Every wallet of each player (in creation order), for many players in one statement."""
    assert len(player_ids) <= PLAYERS_PER_BALANCE_BATCH_MAX
    found: dict[uuid.UUID, list[Balance]] = {player_id: [] for player_id in player_ids}
    if not player_ids:
        return found
    rows = await uow.session.execute(
        select(
            LedgerAccount.player_id,
            LedgerAccount.kind,
            LedgerAccount.currency,
            LedgerAccount.balance,
        )
        .where(LedgerAccount.brand == brand, LedgerAccount.player_id.in_(player_ids))
        .order_by(LedgerAccount.id)
    )
    for player_id, kind, currency, balance in rows:
        assert player_id is not None
        found[player_id].append(Balance(WalletKind(kind), currency, balance))
    return found
