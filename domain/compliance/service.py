"""The one guard in front of every deposit, withdrawal and wager.

Callers pass the activity; the guard raises a typed PlayerBlocked subclass or returns.
It reads the player row `FOR SHARE`, so a status change commits either before the money
movement (and blocks it) or after it, never in between.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import select

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player, PlayerStatus
from domain.compliance.errors import AccountClosed, AccountSuspended, PlayerBlocked, SelfExcluded
from domain.kernel.db import UnitOfWork


class Activity(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    WAGER = "wager"


# A self-excluded player may still take their money out; nothing else may move.
_ALLOWED = {
    PlayerStatus.ACTIVE: frozenset(Activity),
    PlayerStatus.SUSPENDED: frozenset(),
    PlayerStatus.SELF_EXCLUDED: frozenset({Activity.WITHDRAWAL}),
    PlayerStatus.CLOSED: frozenset(),
}
_BLOCKED_BY = {
    PlayerStatus.SUSPENDED: AccountSuspended,
    PlayerStatus.SELF_EXCLUDED: SelfExcluded,
    PlayerStatus.CLOSED: AccountClosed,
}


def check_status(status: PlayerStatus, activity: Activity) -> None:
    """Raise the PlayerBlocked subclass for `status` unless it allows `activity`."""
    if activity not in _ALLOWED[status]:
        raise _BLOCKED_BY.get(status, PlayerBlocked)()


async def ensure_allowed(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, activity: Activity
) -> None:
    """Errors: PlayerNotFound, AccountSuspended, SelfExcluded, AccountClosed."""
    status = await uow.session.scalar(
        select(Player.status)
        .where(Player.id == player_id, Player.brand == brand)
        .with_for_update(read=True)
    )
    if status is None:
        raise PlayerNotFound(field="playerId")
    check_status(PlayerStatus(status), activity)
