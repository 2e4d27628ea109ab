from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class PlayerSelfExcluded(Event):
    """One per player of the excluded person, on that player's brand (the outbox row's
    brand): what consumers act on per player (bonuses forfeit active grants)."""

    topic: ClassVar[str] = "compliance.player_self_excluded"
    player_id: str
    person_id: str
    # The brand the person asked on, and when the exclusion ends (None: permanent).
    requested_on: str
    until: str | None


@dataclass(frozen=True)
class LimitIncreaseRequested(Event):
    """A player asked to raise or remove a limit (it waits for its cooling-off): a marker
    of harm the AML monitoring counts."""

    topic: ClassVar[str] = "compliance.limit_increase_requested"
    player_id: str
    kind: str
    period: str


@dataclass(frozen=True)
class LimitChanged(Event):
    """A limit in force changed: set, lowered, raised or removed (`change`, after any
    cooling-off). Segments that test "limits set" re-evaluate the player from it; the CRM
    port streams it. `amount_minor` is the limit now in force (minutes for a session limit,
    whose `currency` is None), None once removed."""

    topic: ClassVar[str] = "compliance.limit_changed"
    player_id: str
    kind: str
    period: str
    change: str
    amount_minor: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class PlayerTimedOut(Event):
    """A player of the person is on a break until `until` (the CRM port streams it as a
    status change; nothing else needs a job: the time-out ends by itself)."""

    topic: ClassVar[str] = "compliance.player_timed_out"
    player_id: str
    period: str
    until: str
