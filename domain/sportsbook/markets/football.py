"""Football's model: team strengths give goal expectations, independent Poisson goals give
a distribution of final scores, and every market is priced from that one distribution
(domain.sportsbook.markets.pricing), so 1X2, double chance, draw no bet, totals, Asian
handicaps, both teams to score, correct score and the first half agree with each other.

Live, the goals still to come are Poisson over the minutes left, added to the score: a
lead is worth more the less time is left, and a goal moves every price at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from domain.sportsbook.markets.catalogue import MARKET_TYPES
from domain.sportsbook.markets.lines import handicap, line_text
from domain.sportsbook.markets.pricing import Distribution, fair_probabilities, with_margin
from domain.sportsbook.markets.scores import MatchScore

# A league's average goals per team per match, and what playing at home is worth.
GOALS_PER_TEAM = 1.35
HOME_ADVANTAGE = 1.12
MINUTES = 90
HALF_TIME_MINUTE = 45
# Goals beyond this many more per side are too unlikely to matter (< 1e-6 at these rates).
GOALS_MAX = 10
# Scores less likely than this are left out of a distribution (they move no price).
NEGLIGIBLE = 1e-7
TOTAL_LINES = (Decimal("1.5"), Decimal("2.5"), Decimal("3.5"))


@dataclass(frozen=True)
class Team:
    """Strengths around 1: attack scales the goals a team scores, defence those it lets in
    (below 1 is a better defence)."""

    name: str
    attack: float
    defence: float


def goal_expectations(home: Team, away: Team) -> tuple[float, float]:
    return (
        GOALS_PER_TEAM * home.attack * away.defence * HOME_ADVANTAGE,
        GOALS_PER_TEAM * away.attack * home.defence / HOME_ADVANTAGE,
    )


@dataclass(frozen=True)
class MatchState:
    """Where a match stands: the score, the minute played and, after the break, the
    half-time score."""

    home: int = 0
    away: int = 0
    minute: int = 0
    half_time: tuple[int, int] | None = None


def _poisson(rate: float) -> list[float]:
    return [math.exp(-rate) * rate**goals / math.factorial(goals) for goals in range(GOALS_MAX + 1)]


def distribution(
    expectations: tuple[float, float], state: MatchState, *, until_minute: int = MINUTES
) -> Distribution:
    """Final scores at `until_minute` (90, or 45 for the first half) with their
    probabilities, from the state and the goals still expected."""
    left = max(until_minute - state.minute, 0) / MINUTES
    home_goals = _poisson(expectations[0] * left)
    away_goals = _poisson(expectations[1] * left)
    cells = []
    for more_home, p_home in enumerate(home_goals):
        for more_away, p_away in enumerate(away_goals):
            if p_home * p_away > NEGLIGIBLE:
                home, away = state.home + more_home, state.away + more_away
                half_time = (home, away) if until_minute == HALF_TIME_MINUTE else state.half_time
                cells.append((MatchScore(home, away, half_time), p_home * p_away))
    return cells


@lru_cache(maxsize=4096)
def _handicap_shares(margin: int, line: Decimal) -> tuple[float, float]:
    grade = handicap(margin, line)
    return float(grade.win_share), float(grade.void_share)


def main_handicap(cells: Distribution) -> Decimal:
    """The quarter line on which the two sides are closest to even money, searched on the
    distribution of the margin (all a handicap reads) around the expected margin."""
    margins: dict[int, float] = {}
    for score, probability in cells:
        margins[score.margin] = margins.get(score.margin, 0.0) + probability
    expected_margin = sum(margin * p for margin, p in margins.items())
    centre = -round(expected_margin * 4)

    def imbalance(line: Decimal) -> float:
        win = void = 0.0
        for margin, probability in margins.items():
            win_share, void_share = _handicap_shares(margin, line)
            win += probability * win_share
            void += probability * void_share
        return abs(win / (1 - void) - 0.5) if void < 1 else 1.0

    return min((Decimal(quarter) / 4 for quarter in range(centre - 3, centre + 4)), key=imbalance)


def markets(
    expectations: tuple[float, float],
    state: MatchState,
    margin: Decimal,
    *,
    live: bool = False,
) -> list[tuple[str, str, dict[str, Decimal]]]:
    """(market type, specifiers, odds by outcome) of every market the match offers now:
    prematch the full set; live the main markets (1X2, totals, the main handicap, both
    teams to score), the first half's until half time."""
    full_time = distribution(expectations, state)
    hcp = main_handicap(full_time)
    handicaps = (hcp,) if live else (hcp - Decimal("0.25"), hcp, hcp + Decimal("0.25"))
    offered: list[tuple[str, str]] = [
        ("match_result", ""),
        *(("total_goals", f"total={line_text(line)}") for line in TOTAL_LINES),
        *(("asian_handicap", f"hcp={line_text(line)}") for line in handicaps),
        ("both_teams_to_score", ""),
    ]
    if not live:
        offered += [("double_chance", ""), ("draw_no_bet", ""), ("correct_score", "")]
    quoted = []
    for market_type, specifiers in offered:
        keys = MARKET_TYPES[market_type].outcome_keys(specifiers)
        fair = fair_probabilities(market_type, specifiers, keys, full_time)
        if market_type == "both_teams_to_score" and min(fair.values()) == 0:
            continue  # decided already: both have scored
        quoted.append((market_type, specifiers, with_margin(fair, margin, fitted=not live)))
    if state.minute < HALF_TIME_MINUTE:
        first_half = distribution(expectations, state, until_minute=HALF_TIME_MINUTE)
        keys = MARKET_TYPES["first_half_result"].outcome_keys("")
        fair = fair_probabilities("first_half_result", "", keys, first_half)
        quoted.append(("first_half_result", "", with_margin(fair, margin, fitted=not live)))
    return quoted
