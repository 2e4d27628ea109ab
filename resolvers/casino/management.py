"""Staff switches of games and providers on the request's brand (casino.manage, audited)."""

from __future__ import annotations

import uuid

from domain.casino import management
from domain.casino.lobby import Game
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def set_game_enabled(
    ctx: Context, game_id: uuid.UUID | None, *, enabled: bool, reason: str
) -> Outcome[Game]:
    async def run() -> Game:
        actor = await ctx.principal()
        async with ctx.db.uow() as uow:
            game = await management.set_game_enabled(
                uow, actor, ctx.brand, game_id, enabled=enabled, reason=reason
            )
            await uow.commit()
        return game

    return await attempt(run)


async def set_provider_enabled(
    ctx: Context, provider: str, *, enabled: bool, reason: str
) -> Outcome[management.ProviderSwitch]:
    async def run() -> management.ProviderSwitch:
        actor = await ctx.principal()
        async with ctx.db.uow() as uow:
            switch = await management.set_provider_enabled(
                uow, actor, ctx.brand, provider, enabled=enabled, reason=reason
            )
            await uow.commit()
        return switch

    return await attempt(run)
