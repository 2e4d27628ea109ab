"""Originals Slot: three reels, three rows, five paylines, pays for left-anchored runs.

A spin draws one stop per reel, uniformly and independently; the window shows the stop's
symbol and the next two of the strip (wrapping). A line pays `pays[symbol][run]` times the
line bet, where `symbol` is the line's leftmost symbol and `run` how many reels in a row,
from the left, show it. The stake is spread evenly over the lines.

`rtp_exact` enumerates every combination of stops, so the RTP is a Fraction, not an
estimate; `simulate` is the seeded Monte Carlo check of it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from itertools import product
from typing import Protocol


class StopSource(Protocol):
    """What a spin needs from a random source (random.Random, random.SystemRandom)."""

    def randrange(self, stop: int, /) -> int: ...


@dataclass(frozen=True)
class LineWin:
    line: int
    symbol: str
    run: int
    multiplier: int


@dataclass(frozen=True)
class Spin:
    stops: tuple[int, ...]
    # window[row][reel]: what the player sees.
    window: tuple[tuple[str, ...], ...]
    wins: tuple[LineWin, ...]

    @property
    def multiplier(self) -> int:
        """The total win in line bets."""
        return sum(win.multiplier for win in self.wins)


@dataclass(frozen=True)
class SlotMachine:
    reels: tuple[str, ...]
    # symbol -> {run length from the left: multiplier of the line bet}
    pays: Mapping[str, Mapping[int, int]]
    # Each line names the row it reads on each reel.
    lines: tuple[tuple[int, ...], ...]
    rows: int = 3

    def __post_init__(self) -> None:
        assert self.reels, "at least one reel"
        assert all(self.reels), "every reel needs a strip"
        assert self.lines, "at least one payline"
        for line in self.lines:
            assert len(line) == len(self.reels), "a line reads one row per reel"
            assert all(0 <= row < self.rows for row in line), "a line stays in the window"
        for runs in self.pays.values():
            assert all(1 <= run <= len(self.reels) and pay >= 0 for run, pay in runs.items())

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def combinations(self) -> int:
        total = 1
        for strip in self.reels:
            total *= len(strip)
        return total

    def window(self, stops: Sequence[int]) -> tuple[tuple[str, ...], ...]:
        return tuple(
            tuple(
                strip[(stop + row) % len(strip)]
                for strip, stop in zip(self.reels, stops, strict=True)
            )
            for row in range(self.rows)
        )

    def evaluate(self, stops: Sequence[int]) -> Spin:
        """The window and line wins of a set of stops (the game's one rule)."""
        window = self.window(stops)
        wins: list[LineWin] = []
        for index, line in enumerate(self.lines):
            symbols = [window[row][reel] for reel, row in enumerate(line)]
            first = symbols[0]
            run = 1
            while run < len(symbols) and symbols[run] == first:
                run += 1
            multiplier = self.pays.get(first, {}).get(run, 0)
            if multiplier:
                wins.append(LineWin(index, first, run, multiplier))
        return Spin(tuple(stops), window, tuple(wins))

    def spin(self, rng: StopSource) -> Spin:
        return self.evaluate(tuple(rng.randrange(len(strip)) for strip in self.reels))

    @cached_property
    def multiplier_table(self) -> tuple[int, ...]:
        """Total multiplier of every combination of stops, indexed in mixed radix (first
        reel most significant): the whole game as one table."""
        ranges = [range(len(strip)) for strip in self.reels]
        return tuple(self.evaluate(stops).multiplier for stops in product(*ranges))

    def rtp_exact(self) -> Fraction:
        """Expected return per unit staked, exactly: every combination of stops is equally
        likely, and the stake is line bet x lines."""
        return Fraction(sum(self.multiplier_table), self.combinations * self.line_count)

    def variance_exact(self) -> Fraction:
        """Variance of one spin's return per unit staked (bounds the simulation's error)."""
        mean = self.rtp_exact()
        squares = Fraction(
            sum(m * m for m in self.multiplier_table),
            self.combinations * self.line_count**2,
        )
        return squares - mean * mean

    def payout_minor(self, spin: Spin, stake_minor: int) -> int:
        assert stake_minor % self.line_count == 0, "the stake is whole line bets"
        return stake_minor // self.line_count * spin.multiplier


def simulate(machine: SlotMachine, spins: int, seed: int) -> Fraction:
    """Return per unit staked over `spins` seeded spins, drawn like `spin` draws: one
    uniform stop per reel. Reads the precomputed table instead of evaluating lines, so a
    million spins take about a second."""
    assert spins > 0
    # Reproducible on purpose: a check, not play (play draws from SystemRandom).
    rng = random.Random(seed)  # noqa: S311
    table = machine.multiplier_table
    lengths = [len(strip) for strip in machine.reels]
    draw = rng.randrange
    total = 0
    if len(lengths) == 3:
        # The common case unrolled: this loop is the whole cost of the check.
        first, second, third = lengths
        stride = second * third
        for _ in range(spins):
            total += table[draw(first) * stride + draw(second) * third + draw(third)]
    else:
        for _ in range(spins):
            index = 0
            for length in lengths:
                index = index * length + draw(length)
            total += table[index]
    return Fraction(total, spins * machine.line_count)


# The game: three rows, the rows and both diagonals.
LINES: tuple[tuple[int, ...], ...] = ((1, 1, 1), (0, 0, 0), (2, 2, 2), (0, 1, 2), (2, 1, 0))
SYMBOL_NAMES = {
    "7": "Seven",
    "B": "Bar",
    "L": "Bell",
    "P": "Plum",
    "M": "Lemon",
    "C": "Cherry",
}
# Cherries pay from one on the left; everything else needs three.
PAYS: Mapping[str, Mapping[int, int]] = {
    "7": {3: 100},
    "B": {3: 40},
    "L": {3: 20},
    "P": {3: 12},
    "M": {3: 8},
    "C": {1: 1, 2: 4, 3: 6},
}
ORIGINALS_SLOT = SlotMachine(
    reels=(
        "CMPLB7CMPCLBCMPLCMCPC",  # 21 stops: 7 cherries
        "CMPLB7CMPLBCMPLCMPCMC",  # 21 stops: 6 cherries
        "CMPLB7CMPLBCMPLCMPM",  # 19 stops: 4 cherries
    ),
    pays=PAYS,
    lines=LINES,
)
# Stakes the game offers, in minor units: whole line bets.
STAKES_MINOR = (10, 20, 50, 100, 200, 500)
