"""Bet types as combinations: which lines a single, a multiple or a system bet is made of.

A line is a set of leg numbers staked together as one accumulator. Lines are a pure
function of the number of legs and the combination sizes, so they are not stored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import combinations
from math import comb

from domain.sportsbook.errors import InvalidBet
from domain.sportsbook.models import BetType

LEGS_MAX = 20
# A custom k-from-n can explode (10 from 20 is 184,756 lines); a Goliath is 247.
LINES_MAX = 1024


@dataclass(frozen=True)
class NamedSystem:
    legs: int
    sizes: tuple[int, ...]


# Full-cover systems, with (Lucky …) or without singles.
NAMED_SYSTEMS: dict[str, NamedSystem] = {
    "trixie": NamedSystem(3, (2, 3)),
    "patent": NamedSystem(3, (1, 2, 3)),
    "yankee": NamedSystem(4, (2, 3, 4)),
    "lucky15": NamedSystem(4, (1, 2, 3, 4)),
    "canadian": NamedSystem(5, (2, 3, 4, 5)),
    "lucky31": NamedSystem(5, (1, 2, 3, 4, 5)),
    "heinz": NamedSystem(6, (2, 3, 4, 5, 6)),
    "lucky63": NamedSystem(6, (1, 2, 3, 4, 5, 6)),
    "super_heinz": NamedSystem(7, (2, 3, 4, 5, 6, 7)),
    "goliath": NamedSystem(8, (2, 3, 4, 5, 6, 7, 8)),
}


@dataclass(frozen=True)
class Shape:
    bet_type: BetType
    system_name: str | None
    sizes: tuple[int, ...]
    line_count: int


def shape(bet_type: BetType, legs: int, system: str | None) -> Shape:
    """The lines of a bet of `legs` selections. `system` is a named system ("yankee") or a
    custom "k/n" (k-folds from n selections) for SYSTEM bets, None otherwise.
    Errors: InvalidBet."""
    if not 1 <= legs <= LEGS_MAX:
        raise InvalidBet(f"A bet has 1 to {LEGS_MAX} selections.", field="selections")
    if bet_type is BetType.SINGLE:
        if legs != 1 or system is not None:
            raise InvalidBet("A single has exactly one selection.", field="selections")
        return Shape(bet_type, None, (1,), 1)
    if bet_type is BetType.MULTIPLE:
        if legs < 2 or system is not None:
            raise InvalidBet("A multiple has at least two selections.", field="selections")
        return Shape(bet_type, None, (legs,), 1)
    sizes = _system_sizes(legs, system)
    count = sum(comb(legs, size) for size in sizes)
    if count > LINES_MAX:
        raise InvalidBet(f"A system bet has at most {LINES_MAX} lines.", field="system")
    assert system is not None
    return Shape(bet_type, system, sizes, count)


def _system_sizes(legs: int, system: str | None) -> tuple[int, ...]:
    if system in NAMED_SYSTEMS:
        named = NAMED_SYSTEMS[system]
        if named.legs != legs:
            raise InvalidBet(
                f"A {system} takes exactly {named.legs} selections.", field="selections"
            )
        return named.sizes
    k, slash, n = (system or "").partition("/")
    if not (slash and k.isdigit() and n.isdigit()):
        raise InvalidBet("Unknown system: name one or give k/n.", field="system")
    if int(n) != legs or not 1 <= int(k) <= legs or legs < 2:
        raise InvalidBet("A k/n system takes n selections and 1 ≤ k ≤ n.", field="system")
    return (int(k),)


@functools.lru_cache(maxsize=256)
def lines(legs: int, sizes: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Every line: the leg numbers (0-based) of each combination, smallest sizes first
    (cached: settlement asks for the same few shapes thousands of times)."""
    return tuple(line for size in sizes for line in combinations(range(legs), size))
