from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class PlayerRegistered(Event):
    topic: ClassVar[str] = "accounts.player_registered"
    player_id: str
    locale: str


@dataclass(frozen=True)
class SessionRevoked(Event):
    topic: ClassVar[str] = "accounts.session_revoked"
    session_id: str
    principal_kind: str
    principal_id: str
    reason: str


@dataclass(frozen=True)
class PlayerStatusChanged(Event):
    topic: ClassVar[str] = "accounts.player_status_changed"
    player_id: str
    before: str
    after: str
