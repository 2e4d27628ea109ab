"""The demo studios' games (Quillmoor Games' slots, Velvetine Tables' roulette), served by
this game server like the Originals, behind the same signed seamless-wallet API.

Every game of the built-in aggregator's listing (`domain.integrations.aggregator`) plays
here: a slot is one of three machines, chosen by its volatility, dressed in its own
artwork; a table is single-zero roulette. Outcomes come from `SeededDraw`: a fresh 256-bit
seed from the operating system's CSPRNG per round, stretched with HMAC-SHA256; the seed is
kept with the round, so any round can be replayed exactly.

RTP, computed exactly (a test compares them with the listing's certified figures):
    low    3 reels x 3 rows,  5 lines  95.89 %  (frequent small wins)
    medium 4 reels x 3 rows,  8 lines  95.91 %
    high   5 reels x 3 rows, 10 lines  95.40 %  (rare wins, up to 900x the stake)
    roulette, single zero              97.30 %  (36/37 on every bet)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from domain.integrations.aggregator import (
    DEMO_TABLE_STUDIO,
    STUDIO_ART_VERSION,
    CatalogueGame,
    demo_studio_games,
)
from domain.integrations.studio_art import tile_svg
from domain.originals.slot import SlotMachine

SEED_BYTES = 32
SYMBOL_NAMES = {
    "G": "Gem",
    "K": "Crown",
    "S": "Star",
    "H": "Heart",
    "T": "Leaf",
    "O": "Coin",
}


class SeededDraw:
    """Uniform whole numbers from a seed: HMAC-SHA256(seed, counter) blocks, rejection
    sampled (no modulo bias). The same seed draws the same numbers."""

    def __init__(self, seed: bytes) -> None:
        assert len(seed) >= 16, "a seed of at least 128 bits"
        self.seed = seed
        self.counter = 0

    @classmethod
    def fresh(cls) -> SeededDraw:
        return cls(secrets.token_bytes(SEED_BYTES))

    def _block(self) -> int:
        block = hmac.new(self.seed, self.counter.to_bytes(8, "big"), hashlib.sha256).digest()
        self.counter += 1
        return int.from_bytes(block[:8], "big")

    def randrange(self, stop: int, /) -> int:
        assert 0 < stop < 2**32
        limit = 2**64 - (2**64 % stop)
        while True:
            value = self._block()
            if value < limit:
                return value % stop


@dataclass(frozen=True)
class SlotVariant:
    volatility: str
    machine: SlotMachine
    # Whole line bets, in minor units.
    stakes_minor: tuple[int, ...]


_LINES_3 = ((1, 1, 1), (0, 0, 0), (2, 2, 2), (0, 1, 2), (2, 1, 0))
_LINES_4 = (
    (1, 1, 1, 1), (0, 0, 0, 0), (2, 2, 2, 2), (0, 1, 1, 0),
    (2, 1, 1, 2), (0, 1, 2, 2), (2, 1, 0, 0), (1, 0, 0, 1),
)  # fmt: skip
_LINES_5 = (
    (1, 1, 1, 1, 1), (0, 0, 0, 0, 0), (2, 2, 2, 2, 2), (0, 1, 2, 1, 0), (2, 1, 0, 1, 2),
    (1, 0, 0, 0, 1), (1, 2, 2, 2, 1), (0, 0, 1, 2, 2), (2, 2, 1, 0, 0), (1, 2, 1, 0, 1),
)  # fmt: skip
SLOT_VARIANTS = {
    "low": SlotVariant(
        "low",
        SlotMachine(
            reels=("OHTSOHTKOHTOSHTOG", "OHTSOHTKOHSTOHTGO", "OHTSOHKTOHSTOHGT"),
            pays={
                "G": {3: 60},
                "K": {3: 30},
                "S": {3: 16},
                "H": {3: 9},
                "T": {3: 5},
                "O": {1: 2, 2: 3, 3: 5},
            },
            lines=_LINES_3,
        ),
        (10, 20, 50, 100, 200, 500),
    ),
    "medium": SlotVariant(
        "medium",
        SlotMachine(
            reels=("OHTSKOHTGOHS", "OHTSKOHTGOTS", "OHTSKOHGTOHS", "OHTSKOTGHOSH"),
            pays={
                "G": {3: 50, 4: 400},
                "K": {3: 25, 4: 150},
                "S": {2: 5, 3: 12, 4: 20},
                "H": {2: 4, 3: 8, 4: 14},
                "T": {2: 4, 3: 8, 4: 8},
                "O": {2: 4, 3: 6, 4: 10},
            },
            lines=_LINES_4,
        ),
        (40, 80, 200, 400, 800),
    ),
    "high": SlotVariant(
        "high",
        SlotMachine(
            reels=("OHTSKHGT", "OHTSKOGT", "OHTSKGOT", "OHTSKHGT", "OHTSKOGT"),
            pays={
                "G": {3: 70, 4: 750, 5: 9000},
                "K": {3: 30, 4: 150, 5: 900},
                "S": {3: 15, 4: 55, 5: 300},
                "H": {3: 8, 4: 22, 5: 90},
                "T": {3: 4, 4: 15, 5: 55},
                "O": {3: 4, 4: 11, 5: 37},
            },
            lines=_LINES_5,
        ),
        (10, 20, 50, 100, 200, 500),
    ),
}

# Single-zero roulette.
ROULETTE_POCKETS = 37
RED_NUMBERS = frozenset(
    {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}
)  # fmt: skip
ROULETTE_STAKES_MINOR = (10, 50, 100, 500, 1_000, 5_000)
# Bet -> (the numbers it covers); it returns 36 / len(numbers) times the stake on a hit.
ROULETTE_BETS: dict[str, frozenset[int]] = {
    "red": RED_NUMBERS,
    "black": frozenset(range(1, 37)) - RED_NUMBERS,
    "odd": frozenset(range(1, 37, 2)),
    "even": frozenset(range(2, 37, 2)),
    "low": frozenset(range(1, 19)),
    "high": frozenset(range(19, 37)),
    "dozen-1": frozenset(range(1, 13)),
    "dozen-2": frozenset(range(13, 25)),
    "dozen-3": frozenset(range(25, 37)),
    **{f"number-{number}": frozenset({number}) for number in range(37)},
}


def roulette_colour(number: int) -> str:
    if number == 0:
        return "green"
    return "red" if number in RED_NUMBERS else "black"


@dataclass(frozen=True)
class StudioGame:
    provider: str
    game: CatalogueGame
    # "slot" or "roulette".
    kind: str

    @property
    def code(self) -> str:
        return self.game.code

    @property
    def variant(self) -> SlotVariant:
        return SLOT_VARIANTS[self.game.volatility]

    @property
    def stakes_minor(self) -> tuple[int, ...]:
        return ROULETTE_STAKES_MINOR if self.kind == "roulette" else self.variant.stakes_minor


STUDIO_GAMES: dict[str, StudioGame] = {
    code: StudioGame(provider, game, "roulette" if provider == DEMO_TABLE_STUDIO else "slot")
    for code, (provider, game) in demo_studio_games().items()
}


def tile_art(version: str, code: str) -> str | None:
    """A studio game's lobby tile (SVG) drawn from its code under this artwork version;
    None for another version or a game the studio does not make."""
    listed = STUDIO_GAMES.get(code)
    if version != STUDIO_ART_VERSION or listed is None:
        return None
    return tile_svg(
        listed.code, listed.game.name, "table" if listed.kind == "roulette" else "slots"
    )


def slot_outcome(
    game: StudioGame, stake_minor: int, draw: SeededDraw
) -> tuple[int, dict[str, Any]]:
    """The payout and the round's record of one spin."""
    machine = game.variant.machine
    spun = machine.spin(draw)
    return machine.payout_minor(spun, stake_minor), {
        "stops": list(spun.stops),
        "window": [list(row) for row in spun.window],
        "wins": [
            {"line": win.line, "symbol": win.symbol, "run": win.run, "pays": win.multiplier}
            for win in spun.wins
        ],
        "seed": draw.seed.hex(),
    }


def roulette_outcome(stake_minor: int, bet: str, draw: SeededDraw) -> tuple[int, dict[str, Any]]:
    covered = ROULETTE_BETS[bet]
    number = draw.randrange(ROULETTE_POCKETS)
    win = number in covered
    return (stake_minor * 36 // len(covered) if win else 0), {
        "number": number,
        "colour": roulette_colour(number),
        "bet": bet,
        "win": win,
        "seed": draw.seed.hex(),
    }


def replay(game: StudioGame, stake_minor: int, bet: str | None, seed_hex: str) -> int:
    """The payout a recorded round's seed gives (an audit of any round)."""
    draw = SeededDraw(bytes.fromhex(seed_hex))
    if game.kind == "roulette":
        assert bet is not None
        return roulette_outcome(stake_minor, bet, draw)[0]
    return slot_outcome(game, stake_minor, draw)[0]
