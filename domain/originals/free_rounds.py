"""The Originals studio's free-rounds API (the port in domain/integrations/free_rounds.py),
for Stakehouse Originals and the demo studios it serves.

It behaves as an outside studio's would: it refuses games it does not serve, a grant sent
again with the same reward id grants once, a cancel withdraws the rounds not played, the
status counts what was played, and `delay_s` makes it answer slowly (every call is bounded
by the caller's timeout). Each call is its own transaction on the studio's table: a
provider's storage is not the operator's transaction. `take_round` is what the game
server does when it plays one of the rounds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from domain.integrations.aggregator import (
    AGGREGATOR_CALL_TIMEOUT_S,
    TEST_AGGREGATOR_STUDIOS,
    call_aggregator,
    demo_studio_games,
)
from domain.integrations.free_rounds import (
    FreeRoundsGrant,
    FreeRoundsRefused,
    RewardReport,
    RewardStatus,
)
from domain.kernel import clock
from domain.kernel.db import Database
from domain.originals import games
from domain.originals.models import OriginalsFreeRounds

ORIGINALS_PROVIDER = "stakehouse-originals"


def served_games(provider: str) -> frozenset[str]:
    """The games this studio serves for `provider` (none for a provider it does not serve)."""
    if provider == ORIGINALS_PROVIDER:
        return frozenset(games.GAMES)
    if provider in TEST_AGGREGATOR_STUDIOS:
        return frozenset(
            code for code, (studio, _) in demo_studio_games().items() if studio == provider
        )
    return frozenset()


@dataclass
class StudioFreeRounds:
    """The studio's free-rounds endpoint over its own table."""

    db: Database
    delay_s: float = 0.0
    timeout_s: float = AGGREGATOR_CALL_TIMEOUT_S

    async def grant_free_rounds(self, provider: str, grant: FreeRoundsGrant) -> RewardReport:
        return await call_aggregator(self._grant(provider, grant), timeout_s=self.timeout_s)

    async def cancel_free_rounds(self, provider: str, reward_id: str) -> RewardReport:
        return await call_aggregator(self._cancel(provider, reward_id), timeout_s=self.timeout_s)

    async def free_rounds_status(self, provider: str, reward_id: str) -> RewardReport:
        return await call_aggregator(self._status(provider, reward_id), timeout_s=self.timeout_s)

    async def _grant(self, provider: str, grant: FreeRoundsGrant) -> RewardReport:
        await asyncio.sleep(self.delay_s)
        served = served_games(provider)
        if not grant.games or not set(grant.games) <= served:
            raise FreeRoundsRefused("The studio does not serve these games.", field="games")
        if grant.rounds <= 0 or grant.stake_minor <= 0:
            raise FreeRoundsRefused("Give rounds and a stake.", field="rounds")
        async with self.db.transaction() as uow:
            await uow.session.execute(
                insert(OriginalsFreeRounds)
                .values(
                    reward_id=grant.reward_id,
                    provider=provider,
                    brand=grant.brand,
                    user_ref=grant.user,
                    currency=grant.currency,
                    games=list(grant.games),
                    rounds=grant.rounds,
                    stake_minor=grant.stake_minor,
                    status=RewardStatus.ACTIVE.value,
                    expires_at=grant.expires_at,
                )
                .on_conflict_do_nothing(index_elements=["reward_id"])
            )
        return await self._status(provider, grant.reward_id)

    async def _cancel(self, provider: str, reward_id: str) -> RewardReport:
        await asyncio.sleep(self.delay_s)
        async with self.db.transaction() as uow:
            await uow.session.execute(
                update(OriginalsFreeRounds)
                .where(
                    OriginalsFreeRounds.reward_id == reward_id,
                    OriginalsFreeRounds.provider == provider,
                    OriginalsFreeRounds.status == RewardStatus.ACTIVE.value,
                )
                .values(status=RewardStatus.CANCELLED.value)
            )
        return await self._status(provider, reward_id)

    async def _status(self, provider: str, reward_id: str) -> RewardReport:
        await asyncio.sleep(self.delay_s)
        async with self.db.uow() as uow:
            row = await uow.session.scalar(
                select(OriginalsFreeRounds).where(
                    OriginalsFreeRounds.reward_id == reward_id,
                    OriginalsFreeRounds.provider == provider,
                )
            )
        if row is None:
            return RewardReport(reward_id, RewardStatus.UNKNOWN)
        status = RewardStatus(row.status)
        if status is RewardStatus.ACTIVE and row.expires_at <= clock.now():
            status = RewardStatus.EXPIRED
        return RewardReport(reward_id, status, row.rounds_played)

    async def take_round(
        self, *, provider: str, brand: str, user: str, game_code: str, currency: str
    ) -> tuple[str, int] | None:
        """The game server plays a free round: the player's oldest open reward on this game
        gives one round (reward id, stake), or None when there is none."""
        async with self.db.transaction() as uow:
            row = await uow.session.scalar(
                select(OriginalsFreeRounds)
                .where(
                    OriginalsFreeRounds.provider == provider,
                    OriginalsFreeRounds.brand == brand,
                    OriginalsFreeRounds.user_ref == user,
                    OriginalsFreeRounds.currency == currency,
                    OriginalsFreeRounds.status == RewardStatus.ACTIVE.value,
                    OriginalsFreeRounds.games.contains([game_code]),
                    OriginalsFreeRounds.expires_at > clock.now(),
                )
                .order_by(OriginalsFreeRounds.created_at)
                .limit(1)
                .with_for_update()
            )
            if row is None:
                return None
            row.rounds_played += 1
            if row.rounds_played == row.rounds:
                row.status = RewardStatus.COMPLETED.value
            return row.reward_id, row.stake_minor

    async def give_back_round(self, reward_id: str) -> None:
        """A free round whose bet the operator refused (or never confirmed) is not used."""
        async with self.db.transaction() as uow:
            await uow.session.execute(
                update(OriginalsFreeRounds)
                .where(
                    OriginalsFreeRounds.reward_id == reward_id,
                    OriginalsFreeRounds.rounds_played > 0,
                    OriginalsFreeRounds.status != RewardStatus.CANCELLED.value,
                )
                .values(
                    rounds_played=OriginalsFreeRounds.rounds_played - 1,
                    status=RewardStatus.ACTIVE.value,
                )
            )
