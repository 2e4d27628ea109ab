"""Tennis's model: each game won by the home player with one probability (serve ignored),
sets played to six games with two clear and a tie-break at 6-6, the match to the best of
three or five sets. The distribution over (sets won, games played) from any point of the
match prices the winner, set betting and total games alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from domain.sportsbook.markets.catalogue import MARKET_TYPES
from domain.sportsbook.markets.lines import line_text
from domain.sportsbook.markets.pricing import Distribution, fair_probabilities, with_margin

SET_GAMES = 6


@dataclass(frozen=True)
class TennisFinal:
    """What tennis markets read of a finished match (scores.SetsScore has the same)."""

    sets_won: tuple[int, int]
    games: int


@dataclass(frozen=True)
class TennisState:
    sets: tuple[int, int] = (0, 0)
    games_in_set: tuple[int, int] = (0, 0)
    games_played: int = 0


def set_over(home: int, away: int) -> bool:
    """Six games with two clear, or seven (after 7-5, or the tie-break at 6-6)."""
    return SET_GAMES + 1 in (home, away) or (max(home, away) == SET_GAMES and abs(home - away) >= 2)


@lru_cache(maxsize=4096)
def set_scores(game: float, home: int, away: int) -> tuple[tuple[tuple[int, int], float], ...]:
    """Final games of the set from (home, away), with probabilities."""
    if set_over(home, away):
        return (((home, away), 1.0),)
    if home == away == SET_GAMES:  # the tie-break
        return (((7, 6), game), ((6, 7), 1 - game))
    out: dict[tuple[int, int], float] = {}
    for (score, p), weight in (
        *((item, game) for item in set_scores(game, home + 1, away)),
        *((item, 1 - game) for item in set_scores(game, home, away + 1)),
    ):
        out[score] = out.get(score, 0.0) + p * weight
    return tuple(out.items())


@lru_cache(maxsize=4096)
def _match(
    game: float, best_of: int, sets: tuple[int, int], in_set: tuple[int, int]
) -> tuple[tuple[tuple[int, int, int], float], ...]:
    """(home sets, away sets, games still to play) at the end, from this point."""
    needed = best_of // 2 + 1
    if needed in sets:
        return (((sets[0], sets[1], 0), 1.0),)
    out: dict[tuple[int, int, int], float] = {}
    for (home, away), p_set in set_scores(game, *in_set):
        after = (sets[0] + (home > away), sets[1] + (away > home))
        played = home + away - sum(in_set)
        for (h, a, more), p_rest in _match(game, best_of, after, (0, 0)):
            key = (h, a, more + played)
            out[key] = out.get(key, 0.0) + p_set * p_rest
    return tuple(out.items())


def distribution(game: float, best_of: int, state: TennisState) -> Distribution:
    return [
        (TennisFinal((home, away), state.games_played + more), p)
        for (home, away, more), p in _match(game, best_of, state.sets, state.games_in_set)
    ]


def game_probability(strength: float) -> float:
    """A strength difference (0: even, ±1: far apart) as the chance of winning a game."""
    return round(0.5 + 0.12 * max(min(strength, 1.0), -1.0), 3)


def markets(
    game: float, best_of: int, state: TennisState, margin: Decimal, *, live: bool = False
) -> list[tuple[str, str, dict[str, Decimal]]]:
    cells = distribution(game, best_of, state)
    expected = sum(final.games * p for final, p in cells)
    main = Decimal(int(expected)) + Decimal("0.5")
    offered = [
        ("match_winner", ""),
        ("set_betting", f"sets={best_of}"),
        ("total_games", f"total={line_text(main)}"),
    ]
    quoted = []
    for market_type, specifiers in offered:
        keys = MARKET_TYPES[market_type].outcome_keys(specifiers)
        fair = fair_probabilities(market_type, specifiers, keys, cells)
        quoted.append((market_type, specifiers, with_margin(fair, margin, fitted=not live)))
    return quoted
