"""The affiliate's own view: its players' aggregates per month and currency, and its
statements. Counts and sums only; no player is named, listed or identifiable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import Date, cast, func, select

from domain.affiliates.models import Affiliate, Referral, Statement
from domain.affiliates.statements import month_bounds, statements_of
from domain.kernel.db import UnitOfWork
from domain.reporting.formula import Formula
from domain.reporting.models import PLAYER_FIGURES, FirstDeposit, PlayerDay
from domain.reporting.players import PlayerFigures

MONTHS_MAX: Final = 13


@dataclass(frozen=True)
class PortalMonth:
    month: date
    currency: str
    active_players: int
    first_depositors: int
    deposits_minor: int
    ngr_minor: int


@dataclass(frozen=True)
class PortalView:
    name: str
    registrations: dict[date, int]
    months: list[PortalMonth]
    statements: list[Statement]


async def view(
    uow: UnitOfWork, affiliate: Affiliate, month_from: date, month_to: date, formula: Formula,
    *, time_zone: str,
) -> PortalView:  # fmt: skip
    """Months [month_from, month_to] (at most MONTHS_MAX; the caller checked the range),
    each the brand's business month in its `time_zone`, as statements and figures are:
    a registration at 23:30 UTC on 31 January is February's on a Malta brand."""
    first, _ = month_bounds(month_from)
    _, last = month_bounds(month_to)
    mine = select(Referral.player_id).where(
        Referral.brand == affiliate.brand, Referral.affiliate_id == affiliate.id
    )
    month = cast(func.date_trunc("month", PlayerDay.day), Date)
    rows = await uow.session.execute(
        select(
            month,
            PlayerDay.currency,
            func.count(func.distinct(PlayerDay.player_id)),
            *[func.sum(getattr(PlayerDay, n)) for n in PLAYER_FIGURES],
        )
        .where(
            PlayerDay.brand == affiliate.brand,
            PlayerDay.player_id.in_(mine),
            PlayerDay.day.between(first, last),
        )
        .group_by(month, PlayerDay.currency)
        .order_by(month, PlayerDay.currency)
    )
    deposit_month = cast(func.date_trunc("month", FirstDeposit.day), Date)
    depositors = {
        (m, c): int(n)
        for m, c, n in await uow.session.execute(
            select(deposit_month, FirstDeposit.currency, func.count())
            .where(
                FirstDeposit.brand == affiliate.brand,
                FirstDeposit.player_id.in_(mine),
                FirstDeposit.day.between(first, last),
            )
            .group_by(deposit_month, FirstDeposit.currency)
        )
    }
    months = []
    for m, currency, active, *figures in rows:
        summed = dict(zip(PLAYER_FIGURES, (int(v or 0) for v in figures), strict=True))
        value = PlayerFigures.of(summed, formula)
        months.append(
            PortalMonth(
                m,
                currency,
                int(active),
                depositors.get((m, currency), 0),
                value.deposits_minor,
                value.ngr_minor,
            )
        )
    local = func.timezone(time_zone, Referral.registered_at)
    registered = cast(func.date_trunc("month", local), Date)
    registrations = {
        m: int(n)
        for m, n in await uow.session.execute(
            select(registered, func.count())
            .where(
                Referral.brand == affiliate.brand,
                Referral.affiliate_id == affiliate.id,
                cast(local, Date).between(first, last),
            )
            .group_by(registered)
        )
    }
    return PortalView(
        affiliate.name, registrations, months,
        await statements_of(uow, affiliate.brand, affiliate.id, first, last),
    )  # fmt: skip
