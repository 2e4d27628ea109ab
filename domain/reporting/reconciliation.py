"""Proof that the read model equals the ledger: for each of a brand's days and currencies,
every ledger figure (stakes, wins, bets, bonus, deposits, withdrawals) summed over the
read model's cells equals the same figure computed from the ledger's entries by the kind
rules (a wallets query over the day's transactions).

A day is complete once every event of it has been applied, so the scheduled check looks
at past days (a small lag on today is expected, not a defect).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, text

from domain.kernel.db import Database, UnitOfWork
from domain.reporting.kinds import LEDGER_FIGURES, RULES
from domain.reporting.models import DailyFigures
from domain.wallets import facts as ledger_facts


@dataclass(frozen=True)
class Mismatch:
    day: date
    currency: str
    figure: str
    ledger: int
    report: int


Totals = dict[tuple[date, str], dict[str, int]]


async def ledger_totals(uow: UnitOfWork, brand: str, day_from: date, day_to: date) -> Totals:
    movements, counts = await ledger_facts.daily_movements(
        uow, brand, day_from, day_to, RULES.keys()
    )
    totals: Totals = defaultdict(lambda: dict.fromkeys(LEDGER_FIGURES, 0))
    for movement in movements:
        rule = RULES[movement.kind]
        figure = rule.figure_of(movement.wallet)
        if figure is not None:
            totals[(movement.day, movement.currency)][figure] += rule.sign * movement.delta_minor
    for count in counts:
        rule = RULES[count.kind]
        if rule.count_figure:
            totals[(count.day, count.currency)][rule.count_figure] += (
                rule.count * count.transactions
            )
    return totals


async def report_totals(uow: UnitOfWork, brand: str, day_from: date, day_to: date) -> Totals:
    columns = [func.sum(getattr(DailyFigures, name)) for name in LEDGER_FIGURES]
    rows = await uow.session.execute(
        select(DailyFigures.day, DailyFigures.currency, *columns)
        .where(DailyFigures.brand == brand, DailyFigures.day.between(day_from, day_to))
        .group_by(DailyFigures.day, DailyFigures.currency)
    )
    totals: Totals = defaultdict(lambda: dict.fromkeys(LEDGER_FIGURES, 0))
    for row in rows:
        totals[(row[0], row[1])] = {
            name: int(value or 0) for name, value in zip(LEDGER_FIGURES, row[2:], strict=True)
        }
    return totals


async def reconcile(uow: UnitOfWork, brand: str, day_from: date, day_to: date) -> list[Mismatch]:
    """Every figure of the brand's days that differs between the ledger and the report
    (empty: they agree). Read in one snapshot when the caller's transaction is
    REPEATABLE READ; the scheduled job checks closed days, which no longer change."""
    ledger = await ledger_totals(uow, brand, day_from, day_to)
    report = await report_totals(uow, brand, day_from, day_to)
    zero = dict.fromkeys(LEDGER_FIGURES, 0)
    mismatches = []
    for key in sorted(set(ledger) | set(report)):
        expected, actual = ledger.get(key, zero), report.get(key, zero)
        for figure in LEDGER_FIGURES:
            if expected[figure] != actual[figure]:
                mismatches.append(Mismatch(*key, figure, expected[figure], actual[figure]))
    return mismatches


# The scheduled check looks back this far over closed days (today is still moving).
RECENT_DAYS = 7


async def reconcile_recent(db: Database, *, days: int = RECENT_DAYS) -> dict[str, list[Mismatch]]:
    """Reconcile each brand's last `days` closed days (yesterday back, in the brand's time
    zone), one read-only snapshot per brand. A flow: it opens its own units of work."""
    async with db.uow() as uow:
        brands = (
            await uow.session.execute(
                text("SELECT slug, (now() AT TIME ZONE time_zone)::date FROM brands ORDER BY slug")
            )
        ).all()
    found: dict[str, list[Mismatch]] = {}
    for brand, today in brands:
        async with db.uow() as uow:
            await uow.session.execute(
                text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            )
            found[brand] = await reconcile(
                uow, brand, today - timedelta(days=days), today - timedelta(days=1)
            )
    return found
