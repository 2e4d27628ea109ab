"""The read model's statements: claims, cell upserts, activity and first deposits.
Every statement names its brand."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from domain.kernel.db import UnitOfWork
from domain.reporting.models import (
    DIMENSIONS,
    FIGURES,
    PLAYER_FIGURES,
    AppliedSource,
    DailyFigures,
    FirstDeposit,
    PlayerActivity,
    PlayerDay,
)


@dataclass(frozen=True)
class Cell:
    day: date
    brand: str
    product: str
    currency: str
    game: str = ""
    provider: str = ""
    sport: str = ""
    competition: str = ""
    market_type: str = ""

    def key(self) -> dict[str, object]:
        return asdict(self)


_CELL_FIELDS: Final = tuple(Cell.__dataclass_fields__)


_LOCK_DAY = text("SELECT pg_advisory_xact_lock(hashtext(:name))")


def _lock_name(brand: str, day: date) -> str:
    return f"reporting:{brand}:{day.isoformat()}"


async def lock_day(uow: UnitOfWork, brand: str, day: date) -> None:
    """The brand's day alone: appliers (claim) wait until the rebuild commits."""
    await uow.session.execute(_LOCK_DAY, {"name": _lock_name(brand, day)})


# The day's shared lock, then the claim, in one round trip: the lock's subquery yields
# the row the insert claims, so it is taken first.
_CLAIM = text(
    """
    INSERT INTO reporting_applied (source, brand, day)
    SELECT CAST(:source AS text), CAST(:brand AS text), CAST(:day AS date)
      FROM (SELECT pg_advisory_xact_lock_shared(hashtext(:name))) AS locked
    ON CONFLICT DO NOTHING
    RETURNING source
    """
)


async def claim(uow: UnitOfWork, source: str, brand: str, day: date) -> bool:
    """Take the brand's day in shared mode (a rebuild takes it alone: lock_day) and claim
    a source for the figures; False when it was counted already."""
    claimed = await uow.session.scalar(
        _CLAIM, {"source": source, "brand": brand, "day": day, "name": _lock_name(brand, day)}
    )
    return claimed is not None


async def add(uow: UnitOfWork, cell: Cell, figures: Mapping[str, int]) -> None:
    """Add `figures` to the cell, creating it at zero first: one upsert."""
    if not any(figures.values()):
        return
    table = DailyFigures.__table__
    statement = insert(DailyFigures).values(**cell.key(), **figures)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=list(DIMENSIONS),
            set_={
                **{name: table.c[name] + statement.excluded[name] for name in figures},
                "updated_at": func.now(),
            },
        )
    )


async def add_player_day(
    uow: UnitOfWork, cell: Cell, player_id: uuid.UUID, figures: Mapping[str, int],
    at: datetime,
) -> None:  # fmt: skip
    """Add money figures to the player's day (and move its last activity up to `at`)."""
    table = PlayerDay.__table__
    statement = insert(PlayerDay).values(
        brand=cell.brand, player_id=player_id, day=cell.day, currency=cell.currency,
        last_activity_at=at, **figures,
    )  # fmt: skip
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["brand", "player_id", "day", "currency"],
            set_={
                **{name: table.c[name] + statement.excluded[name] for name in figures},
                "last_activity_at": func.greatest(
                    table.c.last_activity_at, statement.excluded.last_activity_at
                ),
            },
        )
    )


async def mark_active(uow: UnitOfWork, cell: Cell, player_id: uuid.UUID) -> bool:
    """Record the player active in the cell; True when this is the day's first time."""
    inserted = await uow.session.scalar(
        insert(PlayerActivity)
        .values(**cell.key(), player_id=player_id)
        .on_conflict_do_nothing()
        .returning(PlayerActivity.player_id)
    )
    return inserted is not None


@dataclass(frozen=True)
class EarlierFirstDeposit:
    day: date
    currency: str


async def record_first_deposit(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    transaction_id: int,
    day: date,
    currency: str,
) -> tuple[bool, EarlierFirstDeposit | None]:
    """Make this deposit the player's first if none with a lower transaction id is known.
    Returns (it is the first now, the one it displaced if any)."""  # fmt: skip
    previous = (
        await uow.session.execute(
            select(FirstDeposit.transaction_id, FirstDeposit.day, FirstDeposit.currency)
            .where(FirstDeposit.brand == brand, FirstDeposit.player_id == player_id)
            .with_for_update()
        )
    ).one_or_none()
    if previous is not None and previous.transaction_id <= transaction_id:
        return False, None
    statement = insert(FirstDeposit).values(
        brand=brand, player_id=player_id, transaction_id=transaction_id, day=day,
        currency=currency,
    )  # fmt: skip
    taken = await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["brand", "player_id"],
            set_={
                "transaction_id": statement.excluded.transaction_id,
                "day": statement.excluded.day,
                "currency": statement.excluded.currency,
            },
            # A concurrent applier may have recorded a deposit since the read above: only
            # an earlier one is replaced, never a later one.
            where=FirstDeposit.transaction_id > statement.excluded.transaction_id,
        ).returning(FirstDeposit.transaction_id)
    )
    if taken.scalar_one_or_none() is None:
        return False, None
    displaced = None if previous is None else EarlierFirstDeposit(previous.day, previous.currency)
    return True, displaced


_SIGNAL = text(
    """
    WITH due AS (
        UPDATE reporting_signals SET signalled_at = now()
         WHERE brand = :brand AND signalled_at < now() - make_interval(secs => :interval_s)
        RETURNING brand
    ), first AS (
        INSERT INTO reporting_signals (brand, signalled_at)
        SELECT :brand, now()
         WHERE NOT EXISTS (SELECT 1 FROM reporting_signals WHERE brand = :brand)
        ON CONFLICT (brand) DO NOTHING
        RETURNING brand
    )
    SELECT (SELECT count(*) FROM due) + (SELECT count(*) FROM first)
    """
)


async def signal_due(uow: UnitOfWork, brand: str, interval_s: float) -> bool:
    """Take the brand's signal if the last one is older than `interval_s` (or there was
    none), in one statement. A conditional UPDATE that does not match locks nothing, so
    appliers never queue on this row between signals."""
    taken = await uow.session.scalar(_SIGNAL, {"brand": brand, "interval_s": interval_s})
    return bool(taken)


async def forget_day(uow: UnitOfWork, brand: str, day: date) -> None:
    """Drop everything the read model counted for the brand's day (a rebuild's first step)."""
    for model in (DailyFigures, PlayerActivity, AppliedSource, FirstDeposit, PlayerDay):
        await uow.session.execute(
            delete(model)
            .where(model.brand == brand, model.day == day)
            .execution_options(synchronize_session=False)
        )


# ---- batches: one statement per table for a whole batch of sources ------------------------

# The days' shared locks (each brand-day once, in sorted order), then the claims, in one
# round trip: the aggregate yields its one row only after taking every lock, so no source
# is claimed before its day is held.
_CLAIM_MANY = text(
    """
    INSERT INTO reporting_applied (source, brand, day)
    SELECT s.source, s.brand, s.day
      FROM unnest(CAST(:sources AS text[]), CAST(:brands AS text[]), CAST(:days AS date[]))
           WITH ORDINALITY AS s(source, brand, day, position),
           (SELECT count(pg_advisory_xact_lock_shared(hashtext(n)))
              FROM (SELECT n FROM unnest(CAST(:names AS text[])) AS n ORDER BY n) AS sorted)
           AS locked
     ORDER BY s.position
    ON CONFLICT DO NOTHING
    RETURNING source
    """
)


async def claim_many(uow: UnitOfWork, sources: Sequence[tuple[str, str, date]]) -> set[str]:
    """Claim (source, brand, day) sources at once, their days held in shared mode as
    `claim` holds one; returns the sources claimed now (the others were counted already).
    Sources are claimed in sorted order, so two batches never wait on each other crosswise."""
    ordered = sorted(set(sources))
    if not ordered:
        return set()
    names = sorted({_lock_name(brand, day) for _, brand, day in ordered})
    claimed = await uow.session.scalars(
        _CLAIM_MANY,
        {
            "sources": [source for source, _, _ in ordered],
            "brands": [brand for _, brand, _ in ordered],
            "days": [day for _, _, day in ordered],
            "names": names,
        },
    )
    return set(claimed)


# Rows per multi-row statement: well under the driver's 32,767 parameters at 26 a row.
_ROWS_PER_STATEMENT: Final = 500


async def add_many(uow: UnitOfWork, cells: Mapping[Cell, Mapping[str, int]]) -> None:
    """Add each cell's figures (summed over the batch beforehand: one row per cell) in
    one upsert per _ROWS_PER_STATEMENT cells, in key order so concurrent batches lock
    cells in the same order."""
    rows = [
        {**cell.key(), **{name: figures.get(name, 0) for name in FIGURES}}
        for cell, figures in sorted(cells.items(), key=lambda item: _order(item[0]))
        if any(figures.values())
    ]
    table = DailyFigures.__table__
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        statement = insert(DailyFigures).values(rows[start : start + _ROWS_PER_STATEMENT])
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=list(DIMENSIONS),
                set_={
                    **{name: table.c[name] + statement.excluded[name] for name in FIGURES},
                    "updated_at": func.now(),
                },
            )
        )


def _order(cell: Cell) -> tuple[str, ...]:
    return tuple(str(value) for value in (cell.day, *list(cell.key().values())[1:]))


@dataclass(frozen=True)
class PlayerDayKey:
    brand: str
    player_id: uuid.UUID
    day: date
    currency: str


async def add_player_days(
    uow: UnitOfWork, days: Mapping[PlayerDayKey, tuple[Mapping[str, int], datetime]]
) -> None:
    """Add each player-day's money figures (summed over the batch) and move its last
    activity up, one upsert per _ROWS_PER_STATEMENT player-days, in key order."""
    rows = [
        {
            "brand": key.brand,
            "player_id": key.player_id,
            "day": key.day,
            "currency": key.currency,
            "last_activity_at": at,
            **{name: figures.get(name, 0) for name in PLAYER_FIGURES},
        }
        for key, (figures, at) in sorted(
            days.items(), key=lambda item: (item[0].brand, str(item[0].player_id), item[0].day)
        )
    ]
    table = PlayerDay.__table__
    for start in range(0, len(rows), _ROWS_PER_STATEMENT):
        statement = insert(PlayerDay).values(rows[start : start + _ROWS_PER_STATEMENT])
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["brand", "player_id", "day", "currency"],
                set_={
                    **{name: table.c[name] + statement.excluded[name] for name in PLAYER_FIGURES},
                    "last_activity_at": func.greatest(
                        table.c.last_activity_at, statement.excluded.last_activity_at
                    ),
                },
            )
        )


async def mark_active_many(
    uow: UnitOfWork, marks: Sequence[tuple[Cell, uuid.UUID]]
) -> set[tuple[Cell, uuid.UUID]]:
    """Record players active in cells at once; returns the (cell, player) pairs that are
    the day's first (the others were recorded before)."""
    ordered = sorted(set(marks), key=lambda mark: (_order(mark[0]), str(mark[1])))
    first: set[tuple[Cell, uuid.UUID]] = set()
    for start in range(0, len(ordered), _ROWS_PER_STATEMENT):
        chunk = ordered[start : start + _ROWS_PER_STATEMENT]
        inserted = await uow.session.execute(
            insert(PlayerActivity)
            .values([{**cell.key(), "player_id": player_id} for cell, player_id in chunk])
            .on_conflict_do_nothing()
            .returning(*(PlayerActivity.__table__.c[name] for name in DIMENSIONS),
                       PlayerActivity.player_id)
        )  # fmt: skip
        for row in inserted.mappings():
            cell = Cell(**{name: row[name] for name in _CELL_FIELDS})
            first.add((cell, row["player_id"]))
    return first
