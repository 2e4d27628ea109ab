"""Player value for CRM, risk and segments: a player's deposits, withdrawals, GGR, NGR and
bonus cost over their lifetime and over a period, and their last money activity, per
currency, from the read model's player days."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from domain.kernel.db import UnitOfWork
from domain.reporting.errors import InvalidRange
from domain.reporting.formula import Formula
from domain.reporting.models import FIGURES, PLAYER_FIGURES, PlayerDay
from domain.reporting.queries import RANGE_DAYS_MAX


@dataclass(frozen=True)
class PlayerFigures:
    deposits_minor: int
    withdrawals_minor: int
    net_deposits_minor: int
    stakes_minor: int
    wins_minor: int
    ggr_minor: int
    ngr_minor: int
    bonus_cost_minor: int

    @classmethod
    def of(cls, sums: dict[str, int], formula: Formula) -> PlayerFigures:
        figures = {name: sums.get(name, 0) for name in FIGURES}
        return cls(
            deposits_minor=figures["deposits_minor"],
            withdrawals_minor=figures["withdrawals_minor"],
            net_deposits_minor=formula.net_deposits_minor(figures),
            stakes_minor=figures["stakes_minor"],
            wins_minor=figures["wins_minor"],
            ggr_minor=formula.ggr_minor(figures),
            ngr_minor=formula.ngr_minor(figures),
            bonus_cost_minor=formula.bonus_cost_minor(figures),
        )


@dataclass(frozen=True)
class PlayerValue:
    currency: str
    lifetime: PlayerFigures
    # Over [period_from, period_to] when asked; zeros when nothing happened in it.
    period: PlayerFigures | None
    last_activity_at: datetime


async def player_value(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, formula: Formula,
    period: tuple[date, date] | None = None,
) -> list[PlayerValue]:  # fmt: skip
    """One value per currency the player moved money in (none yet: empty).
    Errors: InvalidRange (a period ending before it starts or over 400 days)."""
    if period is not None and not 0 <= (period[1] - period[0]).days < RANGE_DAYS_MAX:
        raise InvalidRange(field="period")
    sums = [func.sum(getattr(PlayerDay, name)) for name in PLAYER_FIGURES]
    in_period = (
        [
            func.sum(getattr(PlayerDay, name)).filter(PlayerDay.day.between(*period))
            for name in PLAYER_FIGURES
        ]
        if period is not None
        else []
    )
    rows = await uow.session.execute(
        select(PlayerDay.currency, func.max(PlayerDay.last_activity_at), *sums, *in_period)
        .where(PlayerDay.brand == brand, PlayerDay.player_id == player_id)
        .group_by(PlayerDay.currency)
        .order_by(PlayerDay.currency)
    )
    width = len(PLAYER_FIGURES)
    values = []
    for row in rows:
        lifetime = dict(zip(PLAYER_FIGURES, (int(v or 0) for v in row[2 : 2 + width]), strict=True))
        chosen = None
        if period is not None:
            chosen = dict(zip(PLAYER_FIGURES, (int(v or 0) for v in row[2 + width :]), strict=True))
        values.append(
            PlayerValue(
                currency=row[0],
                lifetime=PlayerFigures.of(lifetime, formula),
                period=PlayerFigures.of(chosen, formula) if chosen is not None else None,
                last_activity_at=row[1],
            )
        )
    return values
