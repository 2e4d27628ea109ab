"""The one money parser: every string either parses to its exact value or is refused, in
bounded time, before any arithmetic (issue 12 item 1)."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.kernel.money import (
    AMOUNT_MAJOR_MAX,
    CURRENCY_EXPONENTS,
    AmountError,
    parse_amount,
    to_minor,
)

# Per call, far above what the parser needs (microseconds) and far below what building a
# 400,000-digit integer took (seconds). A call's cost is the fastest of a few runs, so a
# scheduler pause on a busy machine cannot fail the test; slow parsing is slow every time.
PARSE_SECONDS_MAX = 0.001
RUNS = 5


def _parse_seconds(text: str, currency: str) -> float:
    """The cost of one parse (refused or not): the fastest of RUNS runs."""
    fastest = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        with contextlib.suppress(AmountError):
            parse_amount(text, currency)
        fastest = min(fastest, time.perf_counter() - started)
    return fastest


HOSTILE = [
    "0.10000000000000000001",
    "5.000000000000000001",
    "1E+999999999",
    "1E+400000",
    "1e2",
    "1E2",
    "+5",
    " 5",
    "5 ",
    "05",
    "00.5",
    ".5",
    "5.",
    "1_000",
    "1,00",
    "١٢",  # Arabic-Indic digits: str.isdigit() and Decimal() accept them
    "NaN",
    "Infinity",
    "-",
    "",
    "0x10",
    "5\x00",
    "1" * 13,
    str(AMOUNT_MAJOR_MAX),
    "9" * 400_000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_quickly(text: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text, "EUR")
    assert _parse_seconds(text, "EUR") < PARSE_SECONDS_MAX


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "EUR", 1250),
        ("0.01", "EUR", 1),
        ("0", "EUR", 0),
        ("-3.07", "EUR", -307),
        ("1000", "JPY", 1000),
        ("1.234", "BHD", 1234),
        ("999999999999.99", "EUR", 99_999_999_999_999),
    ],
)
def test_canonical_text_parses_to_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"), [("1.001", "EUR"), ("1.5", "JPY"), ("1.0001", "BHD")]
)
def test_more_decimals_than_the_currency_has_are_refused(text: str, currency: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(text, currency)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=40), currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_any_text_parses_exactly_or_is_refused_within_a_millisecond(
    text: str, currency: str
) -> None:
    try:
        minor = parse_amount(text, currency)
    except AmountError:
        refused = True
    else:
        refused = False

    assert _parse_seconds(text, currency) < PARSE_SECONDS_MAX
    if not refused:
        # Accepted: the exact value, canonical text, inside the documented maximum.
        exact = Decimal(text).scaleb(CURRENCY_EXPONENTS[currency])
        assert exact == minor
        assert abs(Decimal(text)) < AMOUNT_MAJOR_MAX
        assert text.isascii() and text == text.strip() and "e" not in text.lower()


@settings(max_examples=500, deadline=None)
@given(
    integer=st.integers(min_value=-(AMOUNT_MAJOR_MAX - 1), max_value=AMOUNT_MAJOR_MAX - 1),
    decimals=st.text(alphabet="0123456789", min_size=0, max_size=3),
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
)
def test_every_canonical_amount_parses_to_its_exact_value(
    integer: int, decimals: str, currency: str
) -> None:
    text = f"{integer}.{decimals}" if decimals else str(integer)
    if integer == 0 and text.startswith("-"):
        return
    places = CURRENCY_EXPONENTS[currency]
    if len(decimals) > places:
        with pytest.raises(AmountError):
            parse_amount(text, currency)
    else:
        assert parse_amount(text, currency) == int(Decimal(text).scaleb(places))


@pytest.mark.parametrize(
    "amount", [Decimal("1E+999999999"), Decimal("1E+400000"), Decimal("1E-999999999")]
)
def test_to_minor_refuses_extreme_decimals_without_building_them(amount: Decimal) -> None:
    fastest = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        with pytest.raises(AmountError):
            to_minor(amount, "EUR")
        fastest = min(fastest, time.perf_counter() - started)
    assert fastest < PARSE_SECONDS_MAX
