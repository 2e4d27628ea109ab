"""The daily rates table: each day's rate of every reporting currency's counterpart, from a
rates provider (domain/integrations/rates.py), so reports show amounts in their own
currency and in the operator's reporting currency (STAKEHOUSE_REPORT_CURRENCY).

A day's amounts convert at that day's rate (a month is the sum of its converted days, so
it never depends on which day a report is run). Loading is idempotent: a day loaded again
takes the provider's latest figure (a corrected fixing), and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy.dialects.postgresql import insert

from domain.integrations.rates import RatesProvider
from domain.kernel.db import Database
from domain.kernel.money import exponent, is_supported_currency
from domain.reporting.errors import InvalidRange
from domain.reporting.models import ExchangeRate

LOAD_DAYS_MAX: Final = 400


def minor_rate(rate: Decimal, currency: str, reporting_currency: str) -> Decimal:
    """Reporting minor units per minor unit of `currency`."""
    return rate.scaleb(exponent(reporting_currency) - exponent(currency))


async def load(
    db: Database, provider: RatesProvider, *, reporting_currency: str,
    currencies: Sequence[str], day_from: date, day_to: date,
) -> int:  # fmt: skip
    """Load the provider's rates for every day of [day_from, day_to], one short
    transaction per day (the provider is asked outside it). A flow: it opens its own units
    of work. Returns how many rates were written. Errors: InvalidRange, RatesUnavailable."""
    days = (day_to - day_from).days
    if not 0 <= days < LOAD_DAYS_MAX or not is_supported_currency(reporting_currency):
        raise InvalidRange(field="range")
    wanted = sorted({c for c in currencies if is_supported_currency(c)})
    written = 0
    for offset in range(days + 1):
        day = day_from + timedelta(days=offset)
        found = await provider.rates(day, reporting_currency, wanted)
        rows = [
            {
                "day": day,
                "currency": currency,
                "reporting_currency": reporting_currency,
                "rate": rate,
                "minor_rate": minor_rate(rate, currency, reporting_currency),
            }
            for currency, rate in sorted(found.items())
            if currency in wanted and rate > 0
        ]
        if not rows:
            continue
        async with db.uow() as uow:
            statement = insert(ExchangeRate).values(rows)
            await uow.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["day", "currency", "reporting_currency"],
                    set_={
                        "rate": statement.excluded.rate,
                        "minor_rate": statement.excluded.minor_rate,
                    },
                )
            )
            await uow.commit()
        written += len(rows)
    return written
