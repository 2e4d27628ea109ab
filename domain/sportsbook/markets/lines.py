"""Handicap and total lines, graded the way every sportsbook grades them.

A bet against a line wins when its measure (goals over the line for an over, the
handicapped margin for a handicap) is above zero, loses below, and is pushed (stake back)
at zero, which only a whole line (2.0, -1.0) allows. A quarter line (2.25, -0.75) is two
bets of half the stake on the lines either side (2.0 and 2.5; -0.5 and -1.0): one half can
push while the other wins or loses, which is a half-win or a half-lose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

QUARTER = Decimal("0.25")
ONE = Fraction(1)
ZERO = Fraction(0)
HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Grade:
    """One outcome's result as the feed says it: `result` 1 (won) or 0 (lost), the void
    factor (the share of the stake returned as void: 0, 1/2 or 1) and the dead-heat factor
    (the share of the win the odds pay when tied)."""

    result: int
    void_factor: Fraction = ZERO
    dead_heat_factor: Fraction = ONE

    @property
    def win_share(self) -> Fraction:
        """The share of the stake paid at the odds: what pricing weighs by the odds."""
        return self.result * (1 - self.void_factor) * self.dead_heat_factor

    @property
    def void_share(self) -> Fraction:
        """The share of the stake handed back whatever the odds."""
        return self.void_factor


WIN = Grade(1)
LOSE = Grade(0)
PUSH = Grade(0, ONE)
HALF_WIN = Grade(1, HALF)
HALF_LOSE = Grade(0, HALF)


def is_quarter(line: Decimal) -> bool:
    return abs(line / QUARTER) % 2 == 1


def against(measure: Decimal) -> Grade:
    """The grade of a bet whose measure against the line is `measure` (the line already
    subtracted: 0.5 is won by half a goal, -0.25 is a quarter line's half-lose)."""
    if not is_quarter(measure):
        return WIN if measure > 0 else LOSE if measure < 0 else PUSH
    low, high = against(measure - QUARTER), against(measure + QUARTER)
    if low == high:
        return low
    # One half is pushed: the other decides whether the bet is half won or half lost.
    decided = high if low == PUSH else low
    return HALF_WIN if decided == WIN else HALF_LOSE


def over(total: int, line: Decimal) -> Grade:
    return against(total - line)


def under(total: int, line: Decimal) -> Grade:
    return against(line - total)


def handicap(margin: int, line: Decimal) -> Grade:
    """A side's handicap bet: its margin (own score minus the other's) plus its line."""
    return against(margin + line)


def parse_line(text: str) -> Decimal:
    """A line from specifiers: a multiple of 0.25. Errors: ValueError."""
    line = Decimal(text)
    if not line.is_finite() or line % QUARTER != 0:
        raise ValueError(f"a line is a multiple of 0.25, not {text!r}")
    return line


def line_text(line: Decimal) -> str:
    """A line as specifiers write it: the shortest exact form ("-1.5", not "-1.50"), so one
    line always names one market."""
    text = f"{line.normalize():f}"
    return "0" if text == "-0" else text
