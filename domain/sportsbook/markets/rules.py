"""Each market type's settlement rule: pure functions from the specifiers, an outcome's
key and the final score to the outcome's grade (domain.sportsbook.markets.lines.Grade).

Every rule grades every outcome of its market, so a settlement names all of them, as the
feed's bet_settlement must (domain.sportsbook.feed.results). Keys are the catalogue's
(domain.sportsbook.markets.catalogue). Errors: ValueError for a key, specifier or score
that does not belong to the market type (a programmer's error, never a result).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from domain.sportsbook.markets.lines import (
    LOSE,
    PUSH,
    WIN,
    Grade,
    handicap,
    over,
    parse_line,
    under,
)
from domain.sportsbook.markets.scores import MatchScore, SetsScore, Standings

Specifiers = Mapping[str, str]


def parse_specifiers(text: str) -> dict[str, str]:
    """`total=2.5|sets=3` as a mapping; "" is none."""
    if not text:
        return {}
    pairs = (part.split("=", 1) for part in text.split("|"))
    return dict(pairs)


def _won(condition: bool) -> Grade:
    return WIN if condition else LOSE


def _side(key: str) -> int:
    """+1 for the home side's outcome, -1 for the away side's."""
    if key not in ("home", "away"):
        raise ValueError(f"not a side: {key!r}")
    return 1 if key == "home" else -1


def _three_way(margin: int, key: str) -> Grade:
    sign = (margin > 0) - (margin < 0)
    return _won({"home": 1, "draw": 0, "away": -1}[key] == sign)


# ---- football ------------------------------------------------------------------------------


def match_result(_: Specifiers, key: str, score: MatchScore) -> Grade:
    return _three_way(score.margin, key)


def double_chance(_: Specifiers, key: str, score: MatchScore) -> Grade:
    first, second = key.split("_")
    return _won(WIN in (_three_way(score.margin, first), _three_way(score.margin, second)))


def draw_no_bet(_: Specifiers, key: str, score: MatchScore) -> Grade:
    return PUSH if score.margin == 0 else _won(_side(key) * score.margin > 0)


def totals(specifiers: Specifiers, key: str, total: int) -> Grade:
    line = parse_line(specifiers["total"])
    if key not in ("over", "under"):
        raise ValueError(f"not a total's outcome: {key!r}")
    return over(total, line) if key == "over" else under(total, line)


def total_goals(specifiers: Specifiers, key: str, score: MatchScore) -> Grade:
    return totals(specifiers, key, score.total)


def asian_handicap(specifiers: Specifiers, key: str, score: MatchScore) -> Grade:
    """`hcp` is the home side's line; the away side takes the opposite one."""
    side = _side(key)
    return handicap(side * score.margin, side * parse_line(specifiers["hcp"]))


def both_teams_to_score(_: Specifiers, key: str, score: MatchScore) -> Grade:
    both = score.home > 0 and score.away > 0
    return _won(both == {"yes": True, "no": False}[key])


CORRECT_SCORE_MAX_GOALS = 3
OTHER = "other"


def correct_score_keys() -> tuple[str, ...]:
    goals = range(CORRECT_SCORE_MAX_GOALS + 1)
    return (*(f"{h}:{a}" for h in goals for a in goals), OTHER)


def correct_score(_: Specifiers, key: str, score: MatchScore) -> Grade:
    listed = max(score.home, score.away) <= CORRECT_SCORE_MAX_GOALS
    if key == OTHER:
        return _won(not listed)
    home, away = (int(goals) for goals in key.split(":"))
    return _won((home, away) == (score.home, score.away))


def first_half_result(_: Specifiers, key: str, score: MatchScore) -> Grade:
    if score.half_time is None:
        raise ValueError("the first half's result needs the half-time score")
    home, away = score.half_time
    return _three_way(home - away, key)


# ---- tennis --------------------------------------------------------------------------------


def match_winner(_: Specifiers, key: str, score: SetsScore) -> Grade:
    home, away = score.sets_won
    return _won(_side(key) * (home - away) > 0)


def set_betting_keys(best_of: int) -> tuple[str, ...]:
    needed = best_of // 2 + 1
    return (
        *(f"{needed}:{lost}" for lost in range(needed)),
        *(f"{lost}:{needed}" for lost in reversed(range(needed))),
    )


def set_betting(specifiers: Specifiers, key: str, score: SetsScore) -> Grade:
    if key not in set_betting_keys(int(specifiers["sets"])):
        raise ValueError(f"not a set score of this match: {key!r}")
    home, away = score.sets_won
    return _won(key == f"{home}:{away}")


def total_games(specifiers: Specifiers, key: str, score: SetsScore) -> Grade:
    return totals(specifiers, key, score.games)


# ---- basketball ----------------------------------------------------------------------------


def moneyline(_: Specifiers, key: str, score: MatchScore) -> Grade:
    # Overtime is played until someone leads, so a tie is never final.
    if score.margin == 0:
        raise ValueError("a basketball game does not end level")
    return _won(_side(key) * score.margin > 0)


def point_spread(specifiers: Specifiers, key: str, score: MatchScore) -> Grade:
    return asian_handicap(specifiers, key, score)


def total_points(specifiers: Specifiers, key: str, score: MatchScore) -> Grade:
    return totals(specifiers, key, score.total)


# ---- races and outrights -------------------------------------------------------------------


def winner(_: Specifiers, key: str, standings: Standings) -> Grade:
    """The winner of a race or a league: a dead heat for first pays the tied share (two
    tied: half the stake at the odds, the other half lost); a non-runner is void."""
    position = standings.position(key)
    if position is None:
        return PUSH
    if position != 1:
        return LOSE
    return Grade(1, dead_heat_factor=Fraction(1, standings.tied(1)))


def placed(standings: Standings, key: str, places: int) -> Grade:
    """The place part of an each-way bet on `places` places: placed when it finishes
    within them; tied across the last place, the places left are shared among the tied
    (two tied for 3rd with 3 places: a dead-heat factor of 1/2)."""
    position = standings.position(key)
    if position is None:
        return PUSH
    if position > places:
        return LOSE
    tied = standings.tied(position)
    shared = min(places - position + 1, tied)
    return Grade(1, dead_heat_factor=Fraction(shared, tied))
