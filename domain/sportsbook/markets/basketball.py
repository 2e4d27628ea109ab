"""Basketball's model: the final margin and total points as independent normals (they are,
for two teams' scores of equal spread), discretised to whole points; a tie goes to
overtime, so its chance is shared between the two sides' wins. Live,
the means and spreads shrink with the minutes left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from domain.sportsbook.markets.catalogue import MARKET_TYPES
from domain.sportsbook.markets.lines import line_text
from domain.sportsbook.markets.pricing import Distribution, fair_probabilities, with_margin
from domain.sportsbook.markets.scores import MatchScore

MINUTES = 48
MARGIN_SPREAD = 12.0
TOTAL_SPREAD = 16.0
SPREAD_MIN = 0.5  # even the last minute leaves a point or two to play for
WIDTH = 3.5  # spreads either side covered


@dataclass(frozen=True)
class GameState:
    home: int = 0
    away: int = 0
    minute: int = 0


def _density(x: float, mean: float, spread: float) -> float:
    return math.exp(-0.5 * ((x - mean) / spread) ** 2)


def _means(expected: tuple[float, float], state: GameState) -> tuple[float, ...]:
    left = max(MINUTES - state.minute, 0) / MINUTES
    return (
        state.home - state.away + (expected[0] - expected[1]) * left,
        max(MARGIN_SPREAD * math.sqrt(left), SPREAD_MIN),
        state.home + state.away + (expected[0] + expected[1]) * left,
        max(TOTAL_SPREAD * math.sqrt(left), SPREAD_MIN),
    )


def margins(expected: tuple[float, float], state: GameState) -> Distribution:
    """Final margins from the state (given the points each side is expected to score over
    a whole game), as scores of the expected total: what moneyline and spreads read."""
    margin_mean, margin_spread, total_mean, _ = _means(expected, state)
    total = round(total_mean)
    cells = []
    for margin in range(
        math.floor(margin_mean - WIDTH * margin_spread),
        math.ceil(margin_mean + WIDTH * margin_spread) + 1,
    ):
        if margin != 0:  # overtime decides: the tie's chance is shared by the normalising
            low_total = total + (total - margin) % 2
            score = MatchScore((low_total + margin) // 2, (low_total - margin) // 2)
            cells.append((score, _density(margin, margin_mean, margin_spread)))
    return _normalised(cells)


def totals(expected: tuple[float, float], state: GameState) -> Distribution:
    """Final totals from the state, as scores one point apart: what totals read."""
    _, _, total_mean, total_spread = _means(expected, state)
    cells = []
    for total in range(
        max(math.floor(total_mean - WIDTH * total_spread), state.home + state.away, 1),
        math.ceil(total_mean + WIDTH * total_spread) + 1,
    ):
        score = MatchScore((total + 1) // 2, total // 2)
        cells.append((score, _density(total, total_mean, total_spread)))
    return _normalised(cells)


def _normalised(cells: list[tuple[MatchScore, float]]) -> Distribution:
    mass = sum(p for _, p in cells)
    return [(score, p / mass) for score, p in cells]


def markets(
    expected: tuple[float, float], state: GameState, margin: Decimal, *, live: bool = False
) -> list[tuple[str, str, dict[str, Decimal]]]:
    # Margin and total are independent, so each market is priced on the one it reads.
    by_margin, by_total = margins(expected, state), totals(expected, state)
    margin_mean = sum(score.margin * p for score, p in by_margin)
    total_mean = sum(score.total * p for score, p in by_total)
    offered = [
        ("moneyline", ""),
        ("point_spread", f"hcp={line_text(Decimal(-round(margin_mean)) + Decimal('0.5'))}"),
        ("total_points", f"total={line_text(Decimal(round(total_mean)) + Decimal('0.5'))}"),
    ]
    quoted = []
    for market_type, specifiers in offered:
        keys = MARKET_TYPES[market_type].outcome_keys(specifiers)
        cells = by_total if market_type == "total_points" else by_margin
        fair = fair_probabilities(market_type, specifiers, keys, cells)
        quoted.append((market_type, specifiers, with_margin(fair, margin, fitted=not live)))
    return quoted
