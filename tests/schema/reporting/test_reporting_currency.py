"""Report lines in the reporting currency over GraphQL: a GBP line shows its amounts in GBP
and, at the day's loaded rate, in EUR; before rates are loaded the conversion is null."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.money import from_minor
from tests.domain.reporting.support import (
    Casino,
    apply_outbox,
    brand_today,
    execute,
    ledger_move,
    load_rates,
    player,
)
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, Api

REPORT = """query($from: Date!, $to: Date!) {
  report(from: $from, to: $to, dimensions: [PRODUCT], filters: {products: ["casino"]}) {
    lines { currency stakes { amount currency }
            inReportingCurrency { currency stakes { amount currency } ggr { amount } } } } }"""


async def test_a_line_shows_its_amounts_in_the_reporting_currency_once_rates_are_loaded(
    server: str, db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    pound = await player(db, registry, "aurora", "GBP")
    await ledger_move(db, "aurora", pound, "GBP", 50_00)
    dice = await Casino(db, registry, "aurora", "GBP").open(pound)
    await dice.bet("rc-b1", "rc-r1", 12_34)
    await apply_outbox(db)
    finance = await signed_in_staff(
        Api(server, AURORA), db, "fx@op.example", ["finance"], ["aurora"]
    )
    day = brand_today(registry, "aurora")
    today = {"from": day.isoformat(), "to": day.isoformat()}

    before = (await finance.query(REPORT, today)).data["report"]["lines"]
    assert before == [
        {"currency": "GBP", "stakes": {"amount": "12.34", "currency": "GBP"},
         "inReportingCurrency": None},
    ]  # fmt: skip

    await load_rates(db, monkeypatch, currencies=["GBP"], day_from=day, day_to=day)
    ((minor_rate,),) = await execute(db, "SELECT minor_rate FROM reporting_rates")
    assert isinstance(minor_rate, Decimal)
    euros = from_minor(int((12_34 * minor_rate).to_integral_value(ROUND_HALF_EVEN)), "EUR")
    after = (await finance.query(REPORT, today)).data["report"]["lines"]
    assert after == [
        {"currency": "GBP", "stakes": {"amount": "12.34", "currency": "GBP"},
         "inReportingCurrency": {"currency": "EUR",
                                 "stakes": {"amount": str(euros), "currency": "EUR"},
                                 "ggr": {"amount": str(euros)}}},
    ]  # fmt: skip
    await finance.aclose()
