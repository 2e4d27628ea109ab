"""The read model's statements: claims, cell upserts, activity and first deposits.
Every statement names its brand."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import delete, func, text
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


@dataclass(frozen=True)
class FirstDepositCandidate:
    """A player's earliest deposit in a batch: their first unless an earlier one is known."""

    brand: str
    player_id: uuid.UUID
    transaction_id: int
    day: date
    currency: str


@dataclass(frozen=True)
class FirstDepositTaken:
    brand: str
    player_id: uuid.UUID
    # The deposit that was the first until now (it arrived earlier, happened later).
    displaced: EarlierFirstDeposit | None


# Every candidate in one statement. The players' known first deposits are read and
# locked (in key order) before the upsert, in the statement's one snapshot, so `known`
# is what the upsert replaced. The upsert replaces only a later deposit, never an
# earlier one, also when a concurrent applier recorded one since.
_FIRST_DEPOSITS = text(
    """
    WITH candidate AS (
        SELECT * FROM unnest(CAST(:brands AS text[]), CAST(:players AS uuid[]),
                             CAST(:transactions AS bigint[]), CAST(:days AS date[]),
                             CAST(:currencies AS text[]))
               AS c(brand, player_id, transaction_id, day, currency)
    ), known AS (
        SELECT f.brand, f.player_id, f.day, f.currency
          FROM reporting_first_deposits f
          JOIN candidate c ON c.brand = f.brand AND c.player_id = f.player_id
         ORDER BY f.brand, f.player_id
           FOR UPDATE OF f
    ), read_first AS (
        -- The upsert's rows are joined to this one-row count of `known`, so every known
        -- row is read (and locked) before the first row is upserted. Read after, a row the
        -- upsert had already changed in this statement would be skipped by FOR UPDATE and
        -- the displaced deposit lost: which came first was left to the plan.
        SELECT count(*) AS known_rows FROM known
    ), taken AS (
        INSERT INTO reporting_first_deposits (brand, player_id, transaction_id, day, currency)
        SELECT c.brand, c.player_id, c.transaction_id, c.day, c.currency
          FROM candidate c CROSS JOIN read_first ORDER BY c.brand, c.player_id
        ON CONFLICT (brand, player_id) DO UPDATE
           SET transaction_id = excluded.transaction_id, day = excluded.day,
               currency = excluded.currency
         WHERE reporting_first_deposits.transaction_id > excluded.transaction_id
        RETURNING brand, player_id
    )
    SELECT t.brand, t.player_id, k.day, k.currency
      FROM taken t LEFT JOIN known k ON k.brand = t.brand AND k.player_id = t.player_id
    """
)


async def record_first_deposits(
    uow: UnitOfWork, candidates: Sequence[FirstDepositCandidate]
) -> list[FirstDepositTaken]:
    """Make each candidate (one per brand and player) the player's first deposit if none
    with a lower transaction id is known, in one statement. Returns the candidates that
    are the first now, with the deposit each displaced if any."""
    if not candidates:
        return []
    ordered = sorted(candidates, key=lambda c: (c.brand, str(c.player_id)))
    assert len({(c.brand, c.player_id) for c in ordered}) == len(ordered)
    rows = await uow.session.execute(
        _FIRST_DEPOSITS,
        {
            "brands": [c.brand for c in ordered],
            "players": [c.player_id for c in ordered],
            "transactions": [c.transaction_id for c in ordered],
            "days": [c.day for c in ordered],
            "currencies": [c.currency for c in ordered],
        },
    )
    return [
        FirstDepositTaken(
            row.brand,
            row.player_id,
            None if row.day is None else EarlierFirstDeposit(row.day, row.currency),
        )
        for row in rows
    ]


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


# The batch upserts below are constant texts over arrays (one parameter a column, unnest
# row by row, in the order given): the same prepared statement whatever the batch's
# size, where a multi-row VALUES is a new statement to compile per size, with 25
# parameters a row to bind. Rows keep the order given (WITH ORDINALITY), so concurrent
# batches lock rows in the same order.
_DIMENSION_TYPES: Final = {name: "date" if name == "day" else "text" for name in DIMENSIONS}


def _unnest(columns: Mapping[str, str]) -> str:
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in columns.items())
    names = ", ".join(columns)
    # Names come from the models, never from input; every value is bound.
    select_rows = f"SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS r({names}, position)"  # noqa: S608
    return select_rows + " ORDER BY position"


_CELL_COLUMNS: Final = {**_DIMENSION_TYPES, **dict.fromkeys(FIGURES, "bigint")}
_ADD_MANY = text(
    f"INSERT INTO reporting_daily ({', '.join(_CELL_COLUMNS)}) {_unnest(_CELL_COLUMNS)} "
    f"ON CONFLICT ({', '.join(DIMENSIONS)}) DO UPDATE SET "
    + ", ".join(f"{name} = reporting_daily.{name} + excluded.{name}" for name in FIGURES)
    + ", updated_at = now()"
)


def _columns(rows: Sequence[Sequence[object]], names: Sequence[str]) -> dict[str, list[object]]:
    """Rows (in `names` order) as one list per column: the arrays of an unnest."""
    return {name: [row[index] for row in rows] for index, name in enumerate(names)}


async def add_many(uow: UnitOfWork, cells: Mapping[Cell, Mapping[str, int]]) -> None:
    """Add each cell's figures (summed over the batch beforehand: one row per cell) in
    one upsert, in key order so concurrent batches lock cells in the same order."""
    rows = [
        (*(getattr(cell, name) for name in DIMENSIONS), *(figures.get(n, 0) for n in FIGURES))
        for cell, figures in sorted(cells.items(), key=lambda item: _order(item[0]))
        if any(figures.values())
    ]
    if rows:
        await uow.session.execute(_ADD_MANY, _columns(rows, list(_CELL_COLUMNS)))


def _order(cell: Cell) -> tuple[str, ...]:
    return tuple(str(value) for value in (cell.day, *list(cell.key().values())[1:]))


@dataclass(frozen=True)
class PlayerDayKey:
    brand: str
    player_id: uuid.UUID
    day: date
    currency: str


_PLAYER_DAY_COLUMNS: Final = {
    "brand": "text", "player_id": "uuid", "day": "date", "currency": "text",
    "last_activity_at": "timestamptz", **dict.fromkeys(PLAYER_FIGURES, "bigint"),
}  # fmt: skip
_ADD_PLAYER_DAYS = text(
    f"INSERT INTO reporting_player_daily ({', '.join(_PLAYER_DAY_COLUMNS)}) "
    f"{_unnest(_PLAYER_DAY_COLUMNS)} "
    "ON CONFLICT (brand, player_id, day, currency) DO UPDATE SET "
    + ", ".join(
        f"{name} = reporting_player_daily.{name} + excluded.{name}" for name in PLAYER_FIGURES
    )
    + ", last_activity_at = greatest(reporting_player_daily.last_activity_at, "
    "excluded.last_activity_at)"
)


async def add_player_days(
    uow: UnitOfWork, days: Mapping[PlayerDayKey, tuple[Mapping[str, int], datetime]]
) -> None:
    """Add each player-day's money figures (summed over the batch) and move its last
    activity up, in one upsert, in key order."""
    rows = [
        (key.brand, key.player_id, key.day, key.currency, at,
         *(figures.get(name, 0) for name in PLAYER_FIGURES))
        for key, (figures, at) in sorted(
            days.items(), key=lambda item: (item[0].brand, str(item[0].player_id), item[0].day)
        )
    ]  # fmt: skip
    if rows:
        await uow.session.execute(_ADD_PLAYER_DAYS, _columns(rows, list(_PLAYER_DAY_COLUMNS)))


_ACTIVITY_COLUMNS: Final = {**_DIMENSION_TYPES, "player_id": "uuid"}
_MARK_ACTIVE_MANY = text(
    f"INSERT INTO reporting_player_activity ({', '.join(_ACTIVITY_COLUMNS)}) "
    f"{_unnest(_ACTIVITY_COLUMNS)} ON CONFLICT DO NOTHING "
    f"RETURNING {', '.join(_ACTIVITY_COLUMNS)}"
)


async def mark_active_many(
    uow: UnitOfWork, marks: Sequence[tuple[Cell, uuid.UUID]]
) -> set[tuple[Cell, uuid.UUID]]:
    """Record players active in cells at once, in one statement; returns the (cell,
    player) pairs that are the day's first (the others were recorded before)."""
    ordered = sorted(set(marks), key=lambda mark: (_order(mark[0]), str(mark[1])))
    if not ordered:
        return set()
    rows = [(*(getattr(cell, name) for name in DIMENSIONS), player) for cell, player in ordered]
    inserted = await uow.session.execute(_MARK_ACTIVE_MANY, _columns(rows, list(_ACTIVITY_COLUMNS)))
    return {
        (Cell(**{name: row[name] for name in _CELL_FIELDS}), row["player_id"])
        for row in inserted.mappings()
    }
