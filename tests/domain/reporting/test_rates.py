"""Reporting currency: daily rates loaded from the sandbox provider convert each day's
amounts at that day's rate; a range is the sum of its converted days; a line with a day
without a rate shows no converted amounts rather than a wrong one; loading is idempotent."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.reporting import rates
from domain.reporting.formula import Formula
from domain.reporting.queries import Dimension, ReportRequest, report
from tests.domain.reporting.support import (
    Casino,
    apply_outbox,
    brand_today,
    execute,
    ledger_move,
    load_rates,
    player,
)


def test_minor_rates_fold_in_the_currencies_exponents() -> None:
    assert rates.minor_rate(Decimal("0.0062"), "JPY", "EUR") == Decimal("0.62")
    assert rates.minor_rate(Decimal("1.17"), "GBP", "EUR") == Decimal("1.17")
    assert rates.minor_rate(Decimal("2.44"), "BHD", "EUR") == Decimal("0.244")


async def _stakes_on_two_days(db: Database, owner_db: Database, registry: BrandRegistry) -> None:
    pound = await player(db, registry, "aurora", "GBP")
    await ledger_move(db, "aurora", pound, "GBP", 100_00)
    dice = await Casino(db, registry, "aurora", "GBP").open(pound)
    await dice.bet("g-b1", "g-r1", 10_00)
    await execute(
        owner_db, "UPDATE ledger_transactions SET created_at = created_at - interval '1 day'"
    )
    await dice.bet("g-b2", "g-r2", 20_00)
    await dice.win("g-w2", "g-r2", "g-b2", 5_00)
    await apply_outbox(db)


async def test_a_month_in_the_reporting_currency_is_the_sum_of_its_days_at_their_rates(
    db: Database, owner_db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _stakes_on_two_days(db, owner_db, registry)
    today = brand_today(registry, "aurora")
    yesterday = today - timedelta(days=1)
    days = {"currencies": ["GBP", "SEK"], "day_from": yesterday, "day_to": today}
    written = await load_rates(db, monkeypatch, **days)
    again = await load_rates(db, monkeypatch, **days)
    assert written == again == 4
    assert await execute(db, "SELECT count(*) FROM reporting_rates") == [(4,)]
    minor = dict(
        await execute(
            db, "SELECT day, minor_rate FROM reporting_rates WHERE currency = 'GBP' ORDER BY day"
        )
    )
    assert minor[yesterday] != minor[today]  # the sandbox's rates move day to day

    request = ReportRequest(
        "aurora", yesterday, today, (Dimension.PRODUCT,), {Dimension.PRODUCT: ("casino",)},
        reporting_currency="EUR",
    )  # fmt: skip
    async with db.uow() as uow:
        (line,) = (await report(uow, request, Formula())).rows

    def exact(value: Decimal) -> int:
        return int(value.to_integral_value(ROUND_HALF_EVEN))

    assert line.keys[Dimension.CURRENCY] == "GBP"
    assert line.figures["stakes_minor"] == 30_00
    converted = line.in_reporting
    assert converted is not None and converted.currency == "EUR"
    stakes = 10_00 * minor[yesterday] + 20_00 * minor[today]
    assert converted.figures["stakes_minor"] == exact(stakes)
    assert converted.figures["wins_minor"] == exact(5_00 * minor[today])
    assert converted.ggr_minor == exact(stakes) - exact(5_00 * minor[today])


async def test_a_line_with_a_day_without_a_rate_has_no_converted_amounts(
    db: Database, owner_db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _stakes_on_two_days(db, owner_db, registry)
    today = brand_today(registry, "aurora")
    yesterday = today - timedelta(days=1)
    await load_rates(db, monkeypatch, currencies=["GBP"], day_from=today, day_to=today)

    async with db.uow() as uow:
        by_range = await report(
            uow,
            ReportRequest(
                "aurora", yesterday, today, (Dimension.PRODUCT,), reporting_currency="EUR"
            ),
            Formula(),
        )
        by_day = await report(
            uow,
            ReportRequest("aurora", yesterday, today, (Dimension.DAY,), {Dimension.PRODUCT: ("casino",)},
                          reporting_currency="EUR"),
            Formula(),
        )  # fmt: skip

    casino = [row for row in by_range.rows if row.keys[Dimension.PRODUCT] == "casino"]
    assert [row.in_reporting for row in casino] == [None]
    days = {row.keys[Dimension.DAY]: row.in_reporting for row in by_day.rows}
    assert days[yesterday.isoformat()] is None
    converted_today = days[today.isoformat()]
    assert converted_today is not None
    assert converted_today.figures["stakes_minor"] > 0
