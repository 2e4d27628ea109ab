"""KYC events for the outbox (published after commit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class KycTierChanged(Event):
    """A player's tier changed (a decision, a review, an expired document), on the
    player's brand: for consumers such as AML monitoring and player notices."""

    topic: ClassVar[str] = "compliance.kyc_tier_changed"
    player_id: str
    before: str
    after: str
