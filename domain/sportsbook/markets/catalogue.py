"""The market types: their names, outcomes and specifiers, and how each is settled
(domain.sportsbook.markets.rules).

Specifiers follow the feed's form, `name=value` joined by `|`: `total=2.5` (a total's line),
`hcp=-0.75` (the home side's handicap; the away side takes the opposite), `sets=3` (best
of). Races and outrights take their outcomes from the runners or participants; a race's
win market may carry each-way place terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from domain.sportsbook.markets import rules
from domain.sportsbook.markets.lines import Grade
from domain.sportsbook.markets.rules import Specifiers, parse_specifiers
from domain.sportsbook.markets.scores import Standings

SIDES = ("home", "away")
THREE_WAY = ("home", "draw", "away")
OVER_UNDER = ("over", "under")


@dataclass(frozen=True)
class MarketType:
    key: str
    name: str
    sport: str
    grade: Callable[[Specifiers, str, Any], Grade]
    # The outcome keys for these specifiers; None: the event's participants (runners).
    keys: Callable[[Specifiers], tuple[str, ...]] | None
    each_way: bool = False

    def outcome_keys(self, specifiers: str, participants: Sequence[str] = ()) -> tuple[str, ...]:
        if self.keys is None:
            return tuple(participants)
        return self.keys(parse_specifiers(specifiers))


def _fixed(keys: tuple[str, ...]) -> Callable[[Specifiers], tuple[str, ...]]:
    return lambda _: keys


MARKET_TYPES: dict[str, MarketType] = {
    market.key: market
    for market in (
        MarketType(
            "match_result", "Match result", "football", rules.match_result, _fixed(THREE_WAY)
        ),
        MarketType(
            "double_chance", "Double chance", "football", rules.double_chance,
            _fixed(("home_draw", "home_away", "draw_away")),
        ),
        MarketType("draw_no_bet", "Draw no bet", "football", rules.draw_no_bet, _fixed(SIDES)),
        MarketType("total_goals", "Total goals", "football", rules.total_goals, _fixed(OVER_UNDER)),
        MarketType(
            "asian_handicap", "Asian handicap", "football", rules.asian_handicap, _fixed(SIDES)
        ),
        MarketType(
            "both_teams_to_score", "Both teams to score", "football", rules.both_teams_to_score,
            _fixed(("yes", "no")),
        ),
        MarketType(
            "correct_score", "Correct score", "football", rules.correct_score,
            _fixed(rules.correct_score_keys()),
        ),
        MarketType(
            "first_half_result", "First half result", "football", rules.first_half_result,
            _fixed(THREE_WAY),
        ),
        MarketType("match_winner", "Match winner", "tennis", rules.match_winner, _fixed(SIDES)),
        MarketType(
            "set_betting", "Set betting", "tennis", rules.set_betting,
            lambda specifiers: rules.set_betting_keys(int(specifiers["sets"])),
        ),
        MarketType("total_games", "Total games", "tennis", rules.total_games, _fixed(OVER_UNDER)),
        MarketType("moneyline", "Moneyline", "basketball", rules.moneyline, _fixed(SIDES)),
        MarketType("point_spread", "Point spread", "basketball", rules.point_spread, _fixed(SIDES)),
        MarketType(
            "total_points", "Total points", "basketball", rules.total_points,
            _fixed(OVER_UNDER),
        ),
        MarketType("race_winner", "Race winner", "horse_racing", rules.winner, None, each_way=True),
        MarketType("outright_winner", "Outright winner", "outrights", rules.winner, None),
    )
}  # fmt: skip


@dataclass(frozen=True)
class PlaceTerms:
    """Each-way terms: the place part pays `fraction` of the win odds on a finish within
    the first `places`."""

    places: int
    fraction: Fraction

    def wire(self) -> dict[str, Any]:
        return {
            "places": self.places,
            "fraction": f"{self.fraction.numerator}/{self.fraction.denominator}",
        }


def place_terms_for(runners: int, *, handicap: bool = False) -> PlaceTerms | None:
    """The usual each-way terms by field size (UK): none below 5 runners, 2 places at 1/4
    for 5-7, 3 at 1/5 for 8 or more, 4 at 1/4 in a handicap of 16 or more."""
    if runners < 5:
        return None
    if runners < 8:
        return PlaceTerms(2, Fraction(1, 4))
    if handicap and runners >= 16:
        return PlaceTerms(4, Fraction(1, 4))
    return PlaceTerms(3, Fraction(1, 5))


@dataclass(frozen=True)
class SettledOutcome:
    key: str
    grade: Grade
    # Races: the finishing position, and the place part's grade under the place terms.
    position: int | None = None
    place_grade: Grade | None = None

    def wire(self) -> dict[str, Any]:
        """The feed's form of the result (bet_settlement's outcome): factors as decimal
        strings; `place` only for a race (the agreed name). The place part's dead heat is
        not sent: the platform derives it from the positions (runners tied across the last
        place share the places left, domain.sportsbook.feed.results.leg_result), and the
        v1 format has no field for it."""
        out: dict[str, Any] = {
            "key": self.key,
            "result": self.grade.result,
            "void_factor": _decimal(self.grade.void_factor),
            "dead_heat_factor": _decimal(self.grade.dead_heat_factor),
        }
        if self.position is not None:
            out["place"] = self.position
        return out


def _decimal(value: Fraction) -> str:
    # Exact for every factor a two-way tie or a half line gives (0, 0.5, 1, 0.25, ...);
    # a three-way tie's 1/3 is written to ten places, as feeds do.
    quotient = Decimal(value.numerator) / Decimal(value.denominator)
    return str(quotient.quantize(Decimal("1.0000000000")).normalize())


def settle(
    market_type: str,
    specifiers: str,
    final: object,
    *,
    participants: Sequence[str] = (),
    place_terms: PlaceTerms | None = None,
) -> tuple[SettledOutcome, ...]:
    """Every outcome of the market graded from the final score (or standings). Errors:
    KeyError for an unknown market type, ValueError for a score or key that does not fit."""
    market = MARKET_TYPES[market_type]
    parsed = parse_specifiers(specifiers)
    settled = []
    for key in market.outcome_keys(specifiers, participants):
        grade = market.grade(parsed, key, final)
        position = place_grade = None
        if isinstance(final, Standings):
            position = final.position(key)
            if place_terms is not None:
                place_grade = rules.placed(final, key, place_terms.places)
        settled.append(SettledOutcome(key, grade, position, place_grade))
    return tuple(settled)
