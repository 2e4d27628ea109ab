"""The one guard every deposit, withdrawal and wager passes."""

from __future__ import annotations

import uuid

import pytest

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player, PlayerStatus
from domain.brands.service import BrandRegistry
from domain.compliance.errors import AccountClosed, AccountSuspended, SelfExcluded
from domain.compliance.service import Activity, ensure_allowed
from domain.kernel.db import Database
from tests.support import create_player

BLOCKED = {
    PlayerStatus.SUSPENDED: dict.fromkeys(Activity, AccountSuspended),
    PlayerStatus.SELF_EXCLUDED: {Activity.DEPOSIT: SelfExcluded, Activity.WAGER: SelfExcluded},
    PlayerStatus.CLOSED: dict.fromkeys(Activity, AccountClosed),
}


async def _player(db: Database, registry: BrandRegistry, status: PlayerStatus) -> uuid.UUID:
    player_id = await create_player(db, registry)
    async with db.transaction() as uow:
        stored = await uow.session.get(Player, player_id)
        assert stored is not None
        stored.status = status
    return player_id


@pytest.mark.parametrize("status", list(PlayerStatus))
@pytest.mark.parametrize("activity", list(Activity))
async def test_status_decides_what_may_move(
    db: Database, registry: BrandRegistry, status: PlayerStatus, activity: Activity
) -> None:
    player_id = await _player(db, registry, status)
    expected = BLOCKED.get(status, {}).get(activity)

    async with db.uow() as uow:
        if expected is None:
            await ensure_allowed(uow, "aurora", player_id, activity)
        else:
            with pytest.raises(expected):
                await ensure_allowed(uow, "aurora", player_id, activity)


async def test_a_player_of_another_brand_is_not_found(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _player(db, registry, PlayerStatus.ACTIVE)

    async with db.uow() as uow:
        with pytest.raises(PlayerNotFound):
            await ensure_allowed(uow, "northstar", player_id, Activity.WAGER)
