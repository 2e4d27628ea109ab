"""The reporting read model: one row per day and cell, with additive figures only, so a
month or any range is the sum of its days. Ratios (GGR, NGR) are derived at query time.

The day is the brand's business day (`brands.time_zone`) of the ledger transaction's
timestamp: a correction (a rollback, a resettlement, a late win) lands on the day its own
ledger transaction happened, never on the day of what it corrects.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, Index, Numeric, Text, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base

# The cell's dimensions, in primary-key order. Unused ones are '' (not NULL: they are
# part of the key, and '' compares equal to itself).
DIMENSIONS = (
    "day",
    "brand",
    "product",
    "game",
    "provider",
    "sport",
    "competition",
    "market_type",
    "currency",
)
# Additive figures of a cell: amounts in minor units of the cell's currency, and counts.
FIGURES = (
    "bets",
    "stakes_minor",
    "wins_minor",
    "bonus_granted_minor",
    "bonus_converted_minor",
    "bonus_forfeited_minor",
    "jackpot_contributions_minor",
    "provider_fees_minor",
    "taxes_minor",
    "deposits",
    "deposits_minor",
    "withdrawals",
    "withdrawals_minor",
    "active_players",
    "registrations",
    "first_depositors",
)


def _figure() -> Mapped[int]:
    return mapped_column(BigInteger, default=0, server_default=text("0"))


class _Cell:
    """A cell of the read model: brand-day, product, game and provider or sport, competition and
    market type, and currency (the key of the figures and of who was active in them)."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    brand: Mapped[str] = mapped_column(Text, primary_key=True)
    # casino | sportsbook | account (payments and registrations belong to no product).
    product: Mapped[str] = mapped_column(Text, primary_key=True)
    game: Mapped[str] = mapped_column(Text, primary_key=True)
    provider: Mapped[str] = mapped_column(Text, primary_key=True)
    sport: Mapped[str] = mapped_column(Text, primary_key=True)
    competition: Mapped[str] = mapped_column(Text, primary_key=True)
    market_type: Mapped[str] = mapped_column(Text, primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)


class DailyFigures(_Cell, Base):
    __tablename__ = "reporting_daily"

    bets: Mapped[int] = _figure()
    stakes_minor: Mapped[int] = _figure()
    wins_minor: Mapped[int] = _figure()
    bonus_granted_minor: Mapped[int] = _figure()
    bonus_converted_minor: Mapped[int] = _figure()
    bonus_forfeited_minor: Mapped[int] = _figure()
    jackpot_contributions_minor: Mapped[int] = _figure()
    provider_fees_minor: Mapped[int] = _figure()
    taxes_minor: Mapped[int] = _figure()
    deposits: Mapped[int] = _figure()
    deposits_minor: Mapped[int] = _figure()
    withdrawals: Mapped[int] = _figure()
    withdrawals_minor: Mapped[int] = _figure()
    active_players: Mapped[int] = _figure()
    registrations: Mapped[int] = _figure()
    first_depositors: Mapped[int] = _figure()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # Brand-first: every report query is one brand's range of days; then game and
        # currency, so "by day x game" reads its groups in order and stops at the page's
        # end (no sort of the range; migration 0029).
        Index("ix_reporting_daily_brand_day_game", "brand", "day", "game", "currency"),
    )


class AppliedSource(Base):
    """What the read model has counted: one row per ledger transaction (`ledger:<id>`) or
    registration (`player:<id>`), claimed in the transaction that adds it to the figures,
    so a redelivered event never counts twice. Kept with its brand and day so a rebuild
    can forget exactly the days it recomputes."""

    __tablename__ = "reporting_applied"

    source: Mapped[str] = mapped_column(Text, primary_key=True)
    brand: Mapped[str] = mapped_column(Text)
    day: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_reporting_applied_brand_day", "brand", "day"),)


class PlayerActivity(_Cell, Base):
    """That a player staked in a cell on a day: active players are distinct, so the cell's
    `active_players` grows only when this row is new (and ranges count these rows)."""

    __tablename__ = "reporting_player_activity"

    # After the cell's key, as the table has it.
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, sort_order=1)


# The money figures kept per player (CRM's, risk's and segments' player value).
PLAYER_FIGURES = (
    "stakes_minor",
    "wins_minor",
    "bonus_granted_minor",
    "bonus_converted_minor",
    "bonus_forfeited_minor",
    "jackpot_contributions_minor",
    "provider_fees_minor",
    "taxes_minor",
    "deposits_minor",
    "withdrawals_minor",
)


class PlayerDay(Base):
    """A player's money figures on a business day, kept with the cells (same claim, same
    transaction): lifetime and any period are sums of days."""

    __tablename__ = "reporting_player_daily"

    brand: Mapped[str] = mapped_column(Text, primary_key=True)
    # After the cell's key, as the table has it.
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, sort_order=1)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    stakes_minor: Mapped[int] = _figure()
    wins_minor: Mapped[int] = _figure()
    bonus_granted_minor: Mapped[int] = _figure()
    bonus_converted_minor: Mapped[int] = _figure()
    bonus_forfeited_minor: Mapped[int] = _figure()
    jackpot_contributions_minor: Mapped[int] = _figure()
    provider_fees_minor: Mapped[int] = _figure()
    taxes_minor: Mapped[int] = _figure()
    deposits_minor: Mapped[int] = _figure()
    withdrawals_minor: Mapped[int] = _figure()
    # The latest money movement of the player that day (stake, win, payment, bonus).
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UpdateSignal(Base):
    """When the brand's last `reporting.updated` went out: a dashboard is told at most once
    per interval, however many bets land (domain/reporting/service.py)."""

    __tablename__ = "reporting_signals"

    brand: Mapped[str] = mapped_column(Text, primary_key=True)
    signalled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FirstDeposit(Base):
    """Each player's first deposit (the lowest ledger transaction id of kind deposit seen),
    which makes them a first-time depositor on its day."""

    __tablename__ = "reporting_first_deposits"

    brand: Mapped[str] = mapped_column(Text, primary_key=True)
    # After the cell's key, as the table has it.
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, sort_order=1)
    transaction_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(Text)


class ExchangeRate(Base):
    """A day's reference rate of a currency in the operator's reporting currency, loaded
    by `stakehouse reports rates` (domain/reporting/rates.py). `minor_rate` converts minor
    units straight to the reporting currency's minor units (the exponents folded in)."""

    __tablename__ = "reporting_rates"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    reporting_currency: Mapped[str] = mapped_column(Text, primary_key=True)
    # Units of the reporting currency per unit of `currency`.
    rate: Mapped[Decimal] = mapped_column(Numeric(24, 12))
    minor_rate: Mapped[Decimal] = mapped_column(Numeric(30, 15))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
