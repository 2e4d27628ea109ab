"""The return arithmetic on exact fractions: the acceptance figures, line counts, odds
display. Pure functions, no database."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from domain.sportsbook import odds, returns, systems
from domain.sportsbook.errors import InvalidBet
from domain.sportsbook.models import BetType, ResultKind
from domain.sportsbook.returns import LegResult

WIN = LegResult(ResultKind.WIN)
LOSE = LegResult(ResultKind.LOSE)
VOID = LegResult(ResultKind.VOID)


def _legs(*prices: str) -> list[returns.Leg]:
    return [returns.Leg(Fraction(Decimal(price))) for price in prices]


def _yankee_return(system: str, results: list[LegResult]) -> int:
    shape = systems.shape(BetType.SYSTEM, 4, system)
    gross = returns.gross_return(
        100, _legs("2.00", "3.00", "1.50", "4.00"), results, shape.sizes, each_way=False
    )
    return returns.to_minor(gross)


def test_yankee_with_the_four_leg_losing_returns_22_50() -> None:
    assert _yankee_return("yankee", [WIN, WIN, WIN, LOSE]) == 22_50


def test_lucky_15_with_the_four_leg_losing_returns_29_00() -> None:
    assert _yankee_return("lucky15", [WIN, WIN, WIN, LOSE]) == 29_00


def test_yankee_with_the_four_leg_void_returns_51_50() -> None:
    assert _yankee_return("yankee", [WIN, WIN, WIN, VOID]) == 51_50


def test_yankee_with_all_four_winning_returns_138_50() -> None:
    assert _yankee_return("yankee", [WIN, WIN, WIN, WIN]) == 138_50


def test_asian_handicap_quarter_lines() -> None:
    # -0.25 at 1.95, a draw: half the stake void (on 0), half lost (on -0.5).
    half_lose = LegResult(ResultKind.HALF_LOSE)
    assert returns.factor(Fraction("1.95"), ResultKind.HALF_LOSE) == Fraction(1, 2)
    assert (
        returns.to_minor(
            returns.gross_return(10_00, _legs("1.95"), [half_lose], (1,), each_way=False)
        )
        == 5_00
    )
    # -0.75 at 2.00, won by one goal: half won (on -0.5), half void (on -1).
    half_win = LegResult(ResultKind.HALF_WIN)
    assert returns.factor(Fraction(2), ResultKind.HALF_WIN) == Fraction(3, 2)
    assert (
        returns.to_minor(
            returns.gross_return(10_00, _legs("2.00"), [half_win], (1,), each_way=False)
        )
        == 15_00
    )


def test_dead_heat_halves_the_winning_stake() -> None:
    dead_heat = LegResult(ResultKind.WIN, dead_heat=Fraction(1, 2))
    gross = returns.gross_return(10_00, _legs("9.00"), [dead_heat], (1,), each_way=False)
    assert returns.to_minor(gross) == 45_00


def test_each_way_placed_second_returns_the_place_part() -> None:
    leg = returns.Leg(Fraction(11), returns.PlaceTerms(3, Fraction(1, 5)))
    second = LegResult(ResultKind.LOSE, place_result=ResultKind.WIN)
    gross = returns.gross_return(5_00, [leg], [second], (1,), each_way=True)
    assert returns.to_minor(gross) == 15_00
    assert returns.potential_return_minor(5_00, [leg], (1,), each_way=True) == 55_00 + 15_00


def test_a_free_bet_returns_the_winnings_only() -> None:
    gross = returns.to_minor(
        returns.gross_return(10_00, _legs("3.00"), [WIN], (1,), each_way=False)
    )
    assert returns.net_return_minor(gross, 10_00, free_bet=True) == 20_00
    assert returns.net_return_minor(0, 10_00, free_bet=True) == 0


def test_returns_round_down_to_the_minor_unit() -> None:
    # 0.07 at 1.15 = 0.0805: the player gets 0.08, never more than the odds say.
    gross = returns.gross_return(7, _legs("1.15"), [WIN], (1,), each_way=False)
    assert gross == Fraction(805, 100)
    assert returns.to_minor(gross) == 8


@pytest.mark.parametrize(
    ("system", "legs", "lines"),
    [
        ("trixie", 3, 4), ("patent", 3, 7), ("yankee", 4, 11), ("lucky15", 4, 15),
        ("canadian", 5, 26), ("lucky31", 5, 31), ("heinz", 6, 57), ("lucky63", 6, 63),
        ("super_heinz", 7, 120), ("goliath", 8, 247), ("2/3", 3, 3), ("3/5", 5, 10),
    ],
)  # fmt: skip
def test_system_line_counts(system: str, legs: int, lines: int) -> None:
    shape = systems.shape(BetType.SYSTEM, legs, system)

    assert shape.line_count == lines
    assert len(systems.lines(legs, shape.sizes)) == lines


@pytest.mark.parametrize(
    ("bet_type", "legs", "system"),
    [
        (BetType.SINGLE, 2, None), (BetType.MULTIPLE, 1, None), (BetType.MULTIPLE, 21, None),
        (BetType.SYSTEM, 3, "yankee"), (BetType.SYSTEM, 4, "5/4"), (BetType.SYSTEM, 4, "nope"),
        (BetType.SYSTEM, 20, "10/20"),
    ],
)  # fmt: skip
def test_impossible_shapes_are_refused(bet_type: BetType, legs: int, system: str | None) -> None:
    with pytest.raises(InvalidBet):
        systems.shape(bet_type, legs, system)


@pytest.mark.parametrize(
    ("decimal", "fractional", "american"),
    [
        ("2.00", "1/1", "+100"), ("3.50", "5/2", "+250"), ("1.50", "1/2", "-200"),
        ("1.95", "19/20", "-105"), ("11.00", "10/1", "+1000"), ("1.3333", "1/3", "-300"),
    ],
)  # fmt: skip
def test_odds_display(decimal: str, fractional: str, american: str) -> None:
    shown = odds.display(Decimal(decimal))

    assert shown == {
        "decimal": str(Decimal(decimal).quantize(Decimal("0.01")))
        if Decimal(decimal) == Decimal(decimal).quantize(Decimal("0.01"))
        else decimal,
        "fractional": fractional,
        "american": american,
    }


def test_odds_validation() -> None:
    assert odds.is_valid(Decimal("1.0001"))
    assert not odds.is_valid(Decimal("1.00"))
    assert not odds.is_valid(Decimal("2.00001"))
    assert not odds.is_valid(Decimal("NaN"))
