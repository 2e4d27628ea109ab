"""Fair odds from a model's distribution of final scores, and the margin on top.

A market's fair price for an outcome makes its expected return the stake: over the
distribution, a stake returns the odds on its winning share and the stake on its void
share (lines.Grade), so odds * W + V = 1 and the implied probability 1 / odds is
W / (1 - V). For outcomes that exclude each other (and for two-way lines, where pushes and
half results mirror) the implied probabilities sum to 1; the margin then scales them to
sum to 1 + margin. Prices are two decimals, within [1.01, 1000]. Deterministic: the same
inputs give the same Decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from domain.sportsbook.markets.catalogue import MARKET_TYPES
from domain.sportsbook.markets.lines import Grade
from domain.sportsbook.markets.rules import parse_specifiers

ODDS_MIN = Decimal("1.01")
ODDS_MAX = Decimal(1000)
TICK = Decimal("0.01")
# A probability below this is priced at the maximum odds.
NEGLIGIBLE = 1e-9

Distribution = Sequence[tuple[Any, float]]


@lru_cache(maxsize=200_000)
def _shares(
    market_type: str, specifiers: str, keys: tuple[str, ...], final: Any
) -> tuple[tuple[float, float], ...]:
    # The rules are pure and the finals few (scores repeat from one price to the next),
    # so each market's grades of a final are computed once: a reprice is a lookup per cell.
    rule = MARKET_TYPES[market_type].grade
    parsed = parse_specifiers(specifiers)
    grades: list[Grade] = [rule(parsed, key, final) for key in keys]
    return tuple((float(g.win_share), float(g.void_share)) for g in grades)


def fair_probabilities(
    market_type: str, specifiers: str, keys: Sequence[str], distribution: Distribution
) -> dict[str, float]:
    """Each outcome's implied fair probability, W / (1 - V), over the distribution."""
    keys = tuple(keys)
    # Cells graded alike are summed first: a market has few distinct gradings (1X2 has
    # three), so the per-key work is over those, not over every score.
    by_grading: dict[tuple[tuple[float, float], ...], float] = {}
    for final, probability in distribution:
        grading = _shares(market_type, specifiers, keys, final)
        by_grading[grading] = by_grading.get(grading, 0.0) + probability
    win = [0.0] * len(keys)
    void = [0.0] * len(keys)
    for grading, probability in by_grading.items():
        for index, (win_share, void_share) in enumerate(grading):
            win[index] += probability * win_share
            void[index] += probability * void_share
    return {
        key: win[i] / (1 - void[i]) if void[i] < 1 - NEGLIGIBLE else 0.0
        for i, key in enumerate(keys)
    }


def with_margin(
    fair: Mapping[str, float], margin: Decimal, *, fitted: bool = True
) -> dict[str, Decimal]:
    """Odds whose implied probabilities sum to 1 + margin: the fair ones normalised and
    scaled. `fitted`: the shortest price is chosen last, as the tick that brings the
    market's sum closest to 1 + margin (rounding each to 0.01 alone can stray by half a
    percent on short prices). Live prices are not fitted, so each follows its probability
    monotonically."""
    total = sum(fair.values())
    if total <= 0:
        raise ValueError("a market needs an outcome that can win")
    scale = (1 + float(margin)) / total
    # An outcome that can no longer happen (live) is not priced: it is withdrawn.
    odds = {
        key: _rounded(probability * scale)
        for key, probability in fair.items()
        if probability > NEGLIGIBLE
    }
    if fitted and len(odds) > 1:
        shortest = min(odds, key=lambda key: odds[key])
        target = 1 + margin - sum(1 / o for k, o in odds.items() if k != shortest)
        if target > 0:
            odds[shortest] = min(
                (odds[shortest] - TICK, odds[shortest], odds[shortest] + TICK),
                key=lambda candidate: abs(1 / candidate - target),
            )
            odds[shortest] = min(max(odds[shortest], ODDS_MIN), ODDS_MAX)
    return odds


def _rounded(probability: float) -> Decimal:
    if probability <= NEGLIGIBLE:
        return ODDS_MAX
    odds = Decimal(repr(1 / probability)).quantize(TICK, rounding=ROUND_HALF_EVEN)
    return min(max(odds, ODDS_MIN), ODDS_MAX)


def overround(odds: Iterable[Decimal]) -> Decimal:
    """The sum of a market's implied probabilities (1 + its margin)."""
    return sum((1 / o for o in odds), Decimal(0))
