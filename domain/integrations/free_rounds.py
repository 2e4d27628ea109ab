"""The game provider's free-rounds port: grant a player free rounds (free spins) on some
games at a fixed stake, cancel them, ask their status.

A reward is named by the operator's reward id, which the provider's seamless-wallet
callbacks then carry (`is_free`, `reward_uuid`) on every free round's bet and win. Each call
is idempotent on the reward id (a grant sent twice grants once), so a call whose answer was
lost is simply sent again. Every call is bounded by a timeout (`call_aggregator`): no
answer is `AggregatorUnavailable`, and the caller keeps its record to retry.

Built-in provider: the Originals studio (`domain/originals/free_rounds.py`), which serves
Stakehouse Originals and the demo studios and plays the rounds through the signed wallet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.kernel.errors import DomainError


class FreeRoundsRefused(DomainError):
    code = "FREE_ROUNDS_REFUSED"
    message = "The game provider refused these free rounds."


class RewardStatus(StrEnum):
    ACTIVE = "active"
    # Every round played.
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    # The provider has no such reward (never granted, or the grant was lost).
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class FreeRoundsGrant:
    reward_id: str
    # The operator's player id, as the wallet callbacks name the user.
    user: str
    brand: str
    currency: str
    games: tuple[str, ...]
    rounds: int
    stake_minor: int
    expires_at: datetime


@dataclass(frozen=True)
class RewardReport:
    reward_id: str
    status: RewardStatus
    rounds_played: int = 0


class FreeRoundsApi(Protocol):
    async def grant_free_rounds(self, provider: str, grant: FreeRoundsGrant) -> RewardReport:
        """Errors: FreeRoundsRefused (unknown game, stake or currency), AggregatorUnavailable."""
        ...

    async def cancel_free_rounds(self, provider: str, reward_id: str) -> RewardReport:
        """Rounds not played yet are withdrawn. Errors: AggregatorUnavailable."""
        ...

    async def free_rounds_status(self, provider: str, reward_id: str) -> RewardReport:
        """Errors: AggregatorUnavailable."""
        ...
