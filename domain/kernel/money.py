"""Currencies and their ISO 4217 minor-unit exponents. Amounts are integer minor units."""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType

# The currencies the platform accepts; a brand offers a subset in its theme.toml.
CURRENCY_EXPONENTS = MappingProxyType(
    {
        "EUR": 2, "GBP": 2, "USD": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2, "NOK": 2,
        "DKK": 2, "CHF": 2, "PLN": 2, "CZK": 2, "BRL": 2, "MXN": 2, "ZAR": 2, "INR": 2,
        "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0,
        "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3,
    }
)  # fmt: skip


def is_supported_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


def exponent(code: str) -> int:
    return CURRENCY_EXPONENTS[code]


class AmountError(ValueError):
    """An amount that is not a valid quantity of its currency."""


def to_minor(amount: Decimal, currency: str) -> int:
    """`Decimal("12.34")` EUR -> 1234. Refuses more decimals than the currency has (no
    silent rounding) and non-finite values."""
    if not amount.is_finite():
        raise AmountError("amount must be a finite number")
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{currency} has {exponent(currency)} decimal places")
    return int(scaled)


def from_minor(amount_minor: int, currency: str) -> Decimal:
    """1234 EUR -> `Decimal("12.34")`, with exactly the currency's decimal places."""
    places = exponent(currency)
    return Decimal(amount_minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
