"""The games the studio offers and how one bet of each is decided (pure: the random
source and the seed pair come from the caller)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.originals import dice, slot

SLOT = "originals-slot"
DICE = "originals-dice"
GAMES = (SLOT, DICE)
# Play money a demo session starts with, in whole currency units.
DEMO_BALANCE_UNITS = 1_000
DICE_STAKE_MIN_MINOR = 10
DICE_STAKE_MAX_MINOR = 10_000


class InvalidBet(Exception):
    """A bet the game does not take; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Outcome:
    payout_minor: int
    # What the round record and the page show.
    detail: dict[str, Any]


def check_bet(game_code: str, stake_minor: int, target: int | None) -> None:
    """Errors: InvalidBet."""
    if game_code == SLOT:
        if stake_minor not in slot.STAKES_MINOR:
            raise InvalidBet("stake", "Choose one of the offered stakes.")
        return
    if game_code != DICE:
        raise InvalidBet("game", "Unknown game.")
    if not DICE_STAKE_MIN_MINOR <= stake_minor <= DICE_STAKE_MAX_MINOR:
        raise InvalidBet("stake", "The stake is outside the table limits.")
    if target is None or not dice.TARGET_MIN <= target <= dice.TARGET_MAX:
        raise InvalidBet("target", "Roll under a number from 1.00 to 98.00.")


def slot_outcome(stake_minor: int, rng: slot.StopSource) -> Outcome:
    machine = slot.ORIGINALS_SLOT
    spun = machine.spin(rng)
    return Outcome(
        machine.payout_minor(spun, stake_minor),
        {
            "stops": list(spun.stops),
            "window": [list(row) for row in spun.window],
            "wins": [
                {"line": win.line, "symbol": win.symbol, "run": win.run, "pays": win.multiplier}
                for win in spun.wins
            ],
        },
    )


def dice_outcome(
    stake_minor: int, target: int, server_seed: str, client_seed: str, nonce: int
) -> Outcome:
    rolled = dice.roll(server_seed, client_seed, nonce)
    return Outcome(
        dice.payout_minor(stake_minor, target, rolled),
        {
            "roll": rolled,
            "target": target,
            "win": dice.wins(rolled, target),
            "client_seed": client_seed,
            "nonce": nonce,
        },
    )
