"""What a bet returns: pure arithmetic on exact fractions, shared by placement (potential
return, limits) and settlement (payouts).

Each leg contributes a factor per part: the win part's factor is the decimal odds for a
winner, 0 for a loser, 1 for a void, (odds + 1) / 2 for a half-win and 1/2 for a half-lose
(quarter-line Asian handicaps); a dead heat multiplies the odds by its factor. The place
part of an each-way bet works the same on the place odds, (odds - 1) * fraction + 1.
A line returns its stake times the product of its legs' factors; the bet returns the sum
of its lines, rounded down to the minor unit once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from domain.sportsbook.models import ResultKind
from domain.sportsbook.odds import place_odds
from domain.sportsbook.systems import lines

ONE = Fraction(1)


@dataclass(frozen=True)
class PlaceTerms:
    places: int
    fraction: Fraction


@dataclass(frozen=True)
class LegResult:
    result: ResultKind
    dead_heat: Fraction = ONE
    # The place part's result; None derives it (a winner is placed, a void is void).
    place_result: ResultKind | None = None
    place_dead_heat: Fraction = ONE
    # Races: the finishing position (None: not a race, a non-runner, or not given). Only
    # shown to the player: the place part's result above is what pays.
    position: int | None = None

    @property
    def effective_place_result(self) -> ResultKind:
        if self.place_result is not None:
            return self.place_result
        if self.result in (ResultKind.WIN, ResultKind.VOID):
            return self.result
        return ResultKind.LOSE


WINNER = LegResult(ResultKind.WIN, place_result=ResultKind.WIN)


@dataclass(frozen=True)
class Leg:
    odds: Fraction
    place_terms: PlaceTerms | None = None


def factor(odds: Fraction, result: ResultKind, dead_heat: Fraction = ONE) -> Fraction:
    """The multiplier a stake on `odds` takes for `result`."""
    if result is ResultKind.WIN:
        return odds * dead_heat
    if result is ResultKind.LOSE:
        return Fraction(0)
    if result is ResultKind.VOID:
        return ONE
    if result is ResultKind.HALF_WIN:
        return (odds + 1) / 2
    assert result is ResultKind.HALF_LOSE
    return Fraction(1, 2)


def win_factor(leg: Leg, result: LegResult) -> Fraction:
    return factor(leg.odds, result.result, result.dead_heat)


def place_factor(leg: Leg, result: LegResult) -> Fraction:
    assert leg.place_terms is not None, "each-way legs carry place terms"
    odds = place_odds(leg.odds, leg.place_terms.fraction)
    return factor(odds, result.effective_place_result, result.place_dead_heat)


def gross_return(
    stake_minor: int,
    legs: Sequence[Leg],
    results: Sequence[LegResult],
    sizes: tuple[int, ...],
    *,
    each_way: bool,
) -> Fraction:
    """The exact return of a bet (every line, both parts), before rounding."""
    assert len(legs) == len(results)
    win = [win_factor(leg, result) for leg, result in zip(legs, results, strict=True)]
    place = (
        [place_factor(leg, result) for leg, result in zip(legs, results, strict=True)]
        if each_way
        else None
    )
    return return_of_factors(stake_minor, win, place, sizes)


def return_of_factors(
    stake_minor: int,
    win: Sequence[Fraction],
    place: Sequence[Fraction] | None,
    sizes: tuple[int, ...],
) -> Fraction:
    """The exact return from the legs' win factors (and place factors, each-way), before
    rounding: every line takes the stake times the product of its legs' factors."""
    if sizes == (1,) and len(win) == 1:  # a single: one line of one leg
        total = win[0] if place is None else win[0] + place[0]
        return total * stake_minor
    total = Fraction(0)
    for line in lines(len(win), sizes):
        total += math.prod((win[i] for i in line), start=ONE)
        if place is not None:
            total += math.prod((place[i] for i in line), start=ONE)
    return total * stake_minor


def to_minor(amount: Fraction) -> int:
    """Round a return down to the minor unit (the player never gets a fraction of a cent
    more than the odds say)."""
    return math.floor(amount)


def potential_return_minor(
    stake_minor: int, legs: Sequence[Leg], sizes: tuple[int, ...], *, each_way: bool
) -> int:
    """The return if every leg wins (and is placed)."""
    return to_minor(gross_return(stake_minor, legs, [WINNER] * len(legs), sizes, each_way=each_way))


def net_return_minor(gross_minor: int, total_stake_minor: int, *, free_bet: bool) -> int:
    """What the player is paid: a free bet's stake is not returned with a win."""
    if not free_bet:
        return gross_minor
    return max(gross_minor - total_stake_minor, 0)
