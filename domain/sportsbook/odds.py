"""Odds arithmetic and display. Decimal odds are exact `Decimal`s with at most four places
(the NUMERIC(10,4) of the tables); calculations run on `Fraction`s, never floats."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from types import MappingProxyType

ODDS_PLACES = Decimal("0.0001")
ODDS_MIN = Decimal("1.0001")
ODDS_MAX = Decimal("100000")
# Fractional odds are shown with denominators up to this (e.g. 5/2, 100/30 shows as 10/3).
FRACTIONAL_DENOMINATOR_MAX = 100
# Distinct odds on a book are few (a price ladder) and the fractional form costs a Fraction
# search: each price's three forms are remembered (bounded).
DISPLAYS_CACHED_MAX = 4096


def is_valid(odds: Decimal) -> bool:
    """Decimal odds above one with at most four decimal places."""
    return odds.is_finite() and ODDS_MIN <= odds <= ODDS_MAX and odds == odds.quantize(ODDS_PLACES)


def exact(odds: Decimal) -> Fraction:
    return Fraction(odds)


def place_odds(odds: Fraction, fraction: Fraction) -> Fraction:
    """Odds of an each-way bet's place part: (odds - 1) * fraction + 1."""
    return (odds - 1) * fraction + 1


def fractional(odds: Decimal) -> str:
    """Decimal odds as UK fractional odds: 3.50 → "5/2", 2.00 → "1/1" (evens)."""
    profit = Fraction(odds - 1).limit_denominator(FRACTIONAL_DENOMINATOR_MAX)
    return f"{profit.numerator}/{profit.denominator}"


def american(odds: Decimal) -> str:
    """Decimal odds as American (moneyline) odds: 3.50 → "+250", 1.50 → "-200"."""
    if odds >= 2:
        value = ((odds - 1) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return f"+{value}"
    value = (Decimal(100) / (odds - 1)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"-{value}"


@functools.lru_cache(maxsize=DISPLAYS_CACHED_MAX)
def display(odds: Decimal) -> Mapping[str, str]:
    """The three formats a site offers: decimal (two places at least), fractional, American
    (cached, so read-only)."""
    shown = odds.normalize()
    if shown.as_tuple().exponent > -2:  # type: ignore[operator]
        shown = odds.quantize(Decimal("0.01"))
    return MappingProxyType(
        {"decimal": str(shown), "fractional": fractional(odds), "american": american(odds)}
    )
