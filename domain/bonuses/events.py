from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class BonusUpdated(Event):
    """A grant was made or ended (progress moves with every stake: the site reads it with
    the balance change the stake already publishes)."""

    topic: ClassVar[str] = "bonuses.bonus_updated"
    grant_id: str
    player_id: str
    state: str


@dataclass(frozen=True)
class LoyaltyTierChanged(Event):
    """A player's loyalty tier changed (`before` None: their first tier). Segments that test
    the loyalty tier re-evaluate the player from it."""

    topic: ClassVar[str] = "bonuses.loyalty_tier_changed"
    player_id: str
    before: str | None
    after: str
