"""Currencies and their ISO 4217 minor-unit exponents. Amounts are integer minor units."""

from __future__ import annotations

import re
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


# The largest amount anyone may type, in major units (exclusive): 10^12 (a trillion euros)
# is far above any real movement, and with three decimals stays far inside a bigint of
# minor units. Refused before any arithmetic, so an amount costs microseconds whatever
# its size (a 9-character "1E+400000" once built a 400,000-digit integer).
AMOUNT_INTEGER_DIGITS_MAX = 12
AMOUNT_MAJOR_MAX = 10**AMOUNT_INTEGER_DIGITS_MAX
# Canonical decimal text: an optional '-', an integer without leading zeros, and an optional
# '.' with 1..3 decimals (the most any currency has). No '+', exponent, blank, '_', or
# non-ASCII digit (`str.isdigit` and `Decimal` accept "١٢"): `[0-9]` with re.ASCII.
_DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(?:\.([0-9]+))?", re.ASCII)
# Checked before the regular expression runs: no text over this length is even scanned.
DECIMAL_TEXT_LENGTH_MAX = 32


def parse_decimal(text: str, *, places_max: int, integer_digits_max: int) -> Decimal:
    """Canonical decimal text -> its exact `Decimal`, in time bounded by
    DECIMAL_TEXT_LENGTH_MAX. Refuses (AmountError) anything else: numbers that are not
    text, exponents, '+', blanks, more than `places_max` decimals, more than
    `integer_digits_max` integer digits. The one lexical rule for every decimal that
    enters (GraphQL amounts, odds, margins)."""
    if not isinstance(text, str) or len(text) > DECIMAL_TEXT_LENGTH_MAX:
        raise AmountError("not a decimal string of at most 32 characters")
    match = _DECIMAL_TEXT.fullmatch(text)
    if match is None:
        raise AmountError('not a canonical decimal string (e.g. "12.50")')
    integer, decimals = match.group(1), match.group(2) or ""
    if len(integer) > integer_digits_max:
        raise AmountError("too large")
    if len(decimals) > places_max:
        raise AmountError(f"at most {places_max} decimal places")
    return Decimal(text)


def parse_amount(text: str, currency: str) -> int:
    """The one money parser: canonical decimal text of `currency` (an ISO code the platform
    accepts) -> integer minor units, exactly ("12.5" EUR -> 1250). Refuses (AmountError)
    anything else: see `parse_decimal`; decimals beyond the currency's exponent; magnitudes
    of AMOUNT_MAJOR_MAX and over."""
    places = exponent(currency)
    amount = parse_decimal(text, places_max=places, integer_digits_max=AMOUNT_INTEGER_DIGITS_MAX)
    # Exact: at most 12 + 3 digits, so scaleb and int() are small and cannot round.
    return int(amount.scaleb(places))


# The most one movement may be in minor units: AMOUNT_MAJOR_MAX with three decimals.
AMOUNT_MINOR_MAX = 10**15


def parse_minor_units(value: object) -> int:
    """The one parser of amounts that providers send in minor units (casino wallet
    callbacks, PSP webhooks): a JSON integer from 0 to AMOUNT_MINOR_MAX. Refuses
    (AmountError) anything else: a bool (an int in Python), a float, a string, a huge
    integer that a bigint column cannot hold."""
    if type(value) is not int or not 0 <= value <= AMOUNT_MINOR_MAX:
        raise AmountError("not an integer amount of minor units")
    return value


def to_minor(amount: Decimal, currency: str) -> int:
    """`Decimal("12.34")` EUR -> 1234. Refuses more decimals than the currency has (no
    silent rounding), non-finite values and magnitudes of AMOUNT_MAJOR_MAX and over, in
    bounded time (the magnitude is read from the exponent before any scaling)."""
    if not amount.is_finite():
        raise AmountError("amount must be a finite number")
    # adjusted() is the exponent of the leading digit: no arithmetic on the coefficient.
    if amount and amount.adjusted() >= AMOUNT_INTEGER_DIGITS_MAX:
        raise AmountError("too large")
    places = amount.as_tuple().exponent
    assert isinstance(places, int)  # finite, so not "n", "N" or "F"
    if places < -exponent(currency) - DECIMAL_TEXT_LENGTH_MAX:
        # "0.000…01" with thousands of zeros: never a whole number of minor units.
        raise AmountError(f"{currency} has {exponent(currency)} decimal places")
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{currency} has {exponent(currency)} decimal places")
    return int(scaled)


def from_minor(amount_minor: int, currency: str) -> Decimal:
    """1234 EUR -> `Decimal("12.34")`, with exactly the currency's decimal places."""
    places = exponent(currency)
    return Decimal(amount_minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
