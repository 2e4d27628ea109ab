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
    cooling-off). Segments that test "limits set" re-evaluate the player from it."""

    topic: ClassVar[str] = "compliance.limit_changed"
    player_id: str
    kind: str
    period: str
    change: str
class PlayerTimedOut(Event):
    """A player of the person is on a break until `until` (the CRM port streams it as a
    status change; nothing else needs a job: the time-out ends by itself)."""

    topic: ClassVar[str] = "compliance.player_timed_out"
    player_id: str
    period: str
    until: str


@dataclass(frozen=True)
class LimitSet(Event):
    """A limit took effect now: set for the first time or lowered (a raise or a removal
    waits for its cooling-off and is LimitIncreaseRequested). `amount_minor` is minutes for
    a session limit."""

    topic: ClassVar[str] = "compliance.limit_set"
    player_id: str
    kind: str
    period: str
    amount_minor: int
    currency: str | None
