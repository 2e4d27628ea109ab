"""Daily exchange rates as a port: how many units of the reporting currency one unit of a
currency was worth on a day (a reference rate, e.g. a central bank's daily fixing).

`SandboxRates` is the built-in test provider: deterministic reference rates per currency
with a small daily movement (the same day always gives the same rate), answered after an
optional delay like a remote service, and refusing days in the future as a real one
would. A real provider implements `RatesProvider` and is chosen by the CLI's --provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Protocol

from domain.kernel import clock
from domain.kernel.errors import DomainError

# Rounded to this many decimals, as reference rates are published.
RATE_PLACES: Final = 6


class RatesUnavailable(DomainError):
    code = "RATES_UNAVAILABLE"
    message = "The rates provider has no rates for that day."


class RatesProvider(Protocol):
    async def rates(self, day: date, base: str, currencies: Sequence[str]) -> Mapping[str, Decimal]:
        """Units of `base` per unit of each currency on `day`. Errors: RatesUnavailable."""


# Units of EUR per unit: invented but of the right size for each currency.
_EUR_PER_UNIT: Final = {
    "EUR": Decimal(1),
    "GBP": Decimal("1.17"),
    "USD": Decimal("0.92"),
    "SEK": Decimal("0.088"),
    "NOK": Decimal("0.086"),
    "DKK": Decimal("0.134"),
    "JPY": Decimal("0.0062"),
    "CAD": Decimal("0.68"),
    "CHF": Decimal("1.05"),
    "BHD": Decimal("2.44"),
}


@dataclass
class SandboxRates:
    delay_s: float = 0.0

    async def rates(self, day: date, base: str, currencies: Sequence[str]) -> Mapping[str, Decimal]:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if day > clock.today() or base not in _EUR_PER_UNIT:
            raise RatesUnavailable(field="day")
        # +-0.5 % over a 7-day cycle, so consecutive days differ.
        wobble = Decimal(1) + Decimal((day.toordinal() % 7) - 3) / Decimal(600)
        found = {}
        for currency in currencies:
            if currency not in _EUR_PER_UNIT:
                continue
            if currency == base:
                found[currency] = Decimal(1)
                continue
            rate = _EUR_PER_UNIT[currency] / _EUR_PER_UNIT[base] * wobble
            found[currency] = round(rate, RATE_PLACES)
        return found
