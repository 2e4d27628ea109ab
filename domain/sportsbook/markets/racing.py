"""Races and outrights: each runner (or team) has a rating, its chance to win is its share
of the ratings, and the finishing order is drawn one place at a time among those left in
proportion to their ratings (Plackett-Luce), so a favourite wins more often and the order
behind it is consistent with the prices.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from decimal import Decimal

from domain.sportsbook.markets.pricing import with_margin


def win_probabilities(ratings: Mapping[str, float]) -> dict[str, float]:
    total = sum(ratings.values())
    return {key: rating / total for key, rating in ratings.items()}


def prices(ratings: Mapping[str, float], margin: Decimal) -> dict[str, Decimal]:
    return with_margin(win_probabilities(ratings), margin)


def finishing_order(
    ratings: Mapping[str, float], draw: random.Random, *, dead_heat_chance: float = 0.0
) -> dict[str, int]:
    """Positions by runner: drawn by rating; now and then (`dead_heat_chance`) the photo
    cannot split two runners, who then share a position (the next is skipped)."""
    left = dict(ratings)
    order: list[str] = []
    while left:
        keys: Sequence[str] = list(left)
        chosen = draw.choices(keys, weights=[left[key] for key in keys])[0]
        order.append(chosen)
        del left[chosen]
    positions = {key: index + 1 for index, key in enumerate(order)}
    if len(order) > 1 and draw.random() < dead_heat_chance:
        tied = draw.randrange(len(order) - 1)
        positions[order[tied + 1]] = positions[order[tied]]
    return positions
