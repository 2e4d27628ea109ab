"""Read-only ledger queries for the reporting read model: what a transaction moved on
players' wallets (by id, for the actor that keeps the read model) and a brand's movements
summed per business day (for reconciliation and rebuilds). Days are cut in the brand's
time zone (`brands.time_zone`) from the transaction's timestamp.

Time ranges are found through the BRIN index on `ledger_transactions.created_at` (a few
pages per range, next to nothing per insert).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text

from domain.kernel.db import UnitOfWork


@dataclass(frozen=True)
class PlayerMovement:
    player_id: uuid.UUID
    wallet: str
    currency: str
    delta_minor: int


@dataclass(frozen=True)
class TransactionFacts:
    id: int
    brand: str
    kind: str
    # The brand's business day of the transaction.
    day: date
    created_at: datetime
    metadata: Mapping[str, Any]
    # A reversal's own metadata over that of the transaction it reverses.
    # Its entries on player wallets, in entry order (house accounts left out).
    movements: tuple[PlayerMovement, ...]


@dataclass(frozen=True)
class DailyMovement:
    """One brand's player-wallet entries of one kind, day, currency and wallet, summed."""

    day: date
    currency: str
    kind: str
    wallet: str
    delta_minor: int


@dataclass(frozen=True)
class DailyCount:
    """How many transactions of a kind moved a player wallet in a currency on a day."""

    day: date
    currency: str
    kind: str
    transactions: int


_FACTS = text(
    """
    SELECT t.id, t.brand, t.kind, t.created_at,
           -- A reversal's metadata names only what it reverses: it takes that one's too.
           coalesce((SELECT r.metadata FROM ledger_transactions r
                      WHERE r.id = (t.metadata ->> 'reverses')::bigint), '{}'::jsonb)
             || t.metadata AS metadata,
           (t.created_at AT TIME ZONE b.time_zone)::date AS day,
           a.player_id, a.kind AS wallet, e.currency, e.amount
      FROM ledger_transactions t
      JOIN brands b ON b.slug = t.brand
      JOIN ledger_entries e ON e.transaction_id = t.id
      JOIN ledger_accounts a ON a.id = e.account_id AND a.tracks_balance
     WHERE t.id = ANY(:ids)
     ORDER BY t.id, e.id
    """
)

# The brand's transactions of some kinds on its days day_from..day_to, [start, end) as
# instants; with their player-wallet entries where _ENTRIES follows.
_RANGE = """
      FROM ledger_transactions t
      JOIN brands b ON b.slug = t.brand
"""
_ENTRIES = """
      JOIN ledger_entries e ON e.transaction_id = t.id
      JOIN ledger_accounts a ON a.id = e.account_id AND a.tracks_balance
"""
_WHERE = """
     WHERE t.brand = :brand
       AND t.kind = ANY(:kinds)
       AND t.created_at >= (CAST(:day_from AS date)::timestamp AT TIME ZONE b.time_zone)
       AND t.created_at < ((CAST(:day_to AS date) + 1)::timestamp AT TIME ZONE b.time_zone)
"""
_DAY = "(t.created_at AT TIME ZONE b.time_zone)::date"

# The fragments above are constants: no input reaches these strings.
_IDS = text(
    f"""
    SELECT t.id {_RANGE} {_WHERE}
       AND EXISTS (SELECT 1 FROM ledger_entries e
                     JOIN ledger_accounts a ON a.id = e.account_id AND a.tracks_balance
                    WHERE e.transaction_id = t.id)
     ORDER BY t.id
    """  # noqa: S608
)
_MOVEMENTS = text(
    f"""
    SELECT {_DAY} AS day, e.currency, t.kind, a.kind AS wallet,
           sum(e.amount)::bigint AS delta_minor
      {_RANGE} {_ENTRIES} {_WHERE}
     GROUP BY 1, 2, 3, 4
    """
)
_COUNTS = text(
    f"""
    SELECT {_DAY} AS day, e.currency, t.kind, count(DISTINCT t.id) AS transactions
      {_RANGE} {_ENTRIES} {_WHERE}
     GROUP BY 1, 2, 3
    """
)


async def transaction_facts(uow: UnitOfWork, ids: Sequence[int]) -> list[TransactionFacts]:
    """The transactions `ids` that moved a player wallet, in id order (others are absent)."""
    rows = (await uow.session.execute(_FACTS, {"ids": list(ids)})).all()
    found: dict[int, TransactionFacts] = {}
    movements: dict[int, list[PlayerMovement]] = {}
    for row in rows:
        if row.id not in found:
            found[row.id] = TransactionFacts(
                row.id, row.brand, row.kind, row.day, row.created_at, row.metadata or {}, ()
            )
            movements[row.id] = []
        movements[row.id].append(
            PlayerMovement(row.player_id, row.wallet, row.currency, int(row.amount))
        )
    return [
        TransactionFacts(
            f.id, f.brand, f.kind, f.day, f.created_at, f.metadata, tuple(movements[f.id])
        )
        for f in found.values()
    ]


def _range(brand: str, day_from: date, day_to: date, kinds: Collection[str]) -> dict[str, Any]:
    assert day_from <= day_to
    return {"brand": brand, "day_from": day_from, "day_to": day_to, "kinds": sorted(kinds)}


async def transaction_ids(
    uow: UnitOfWork, brand: str, day_from: date, day_to: date, kinds: Collection[str]
) -> list[int]:
    """Ids of the brand's transactions of `kinds` on days day_from..day_to that moved a
    player wallet, in id order."""
    result = await uow.session.scalars(_IDS, _range(brand, day_from, day_to, kinds))
    return [int(i) for i in result]


async def daily_movements(
    uow: UnitOfWork, brand: str, day_from: date, day_to: date, kinds: Collection[str]
) -> tuple[list[DailyMovement], list[DailyCount]]:
    """The brand's player-wallet movements of `kinds` per day, currency, kind and wallet,
    and the transactions per day, currency and kind, for days day_from..day_to."""
    params = _range(brand, day_from, day_to, kinds)
    movements = [
        DailyMovement(r.day, r.currency, r.kind, r.wallet, int(r.delta_minor))
        for r in await uow.session.execute(_MOVEMENTS, params)
    ]
    counts = [
        DailyCount(r.day, r.currency, r.kind, int(r.transactions))
        for r in await uow.session.execute(_COUNTS, params)
    ]
    return movements, counts


_TIMES = text("SELECT id, created_at FROM ledger_transactions WHERE id = ANY(:ids)")


async def transaction_times(uow: UnitOfWork, ids: Collection[int]) -> dict[int, datetime]:
    """When each committed ledger transaction happened (its own timestamp, not when a
    consumer reads it): what behaviour facts are dated by."""
    if not ids:
        return {}
    rows = await uow.session.execute(_TIMES, {"ids": list(ids)})
    return {int(row.id): row.created_at for row in rows}
