from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.accounts.principal import require_player
from domain.wallets.events import BALANCE_CHANGED
from resolvers.bonuses import bonuses as resolvers
from schema.accounts.subscriptions import _until_interrupted
from schema.bonuses.types import BonusGrant
from schema.context import Info
from schema.errors import as_query_error


@strawberry.type
class BonusesSubscription:
    @strawberry.subscription(
        description="The signed-in player's bonuses (newest first), sent again after every "
        "committed money movement of the player: each stake moves wagering progress, and a "
        "grant, conversion, forfeit or expiry moves bonus money. Ends with the session."
    )
    async def bonus_updated(self, info: Info) -> AsyncGenerator[list[BonusGrant], None]:
        with as_query_error():
            player = require_player(await info.context.principal())
        mine = str(player.id)
        brand = info.context.brand.slug
        async with info.context.hub.subscribe(BALANCE_CHANGED, brand=brand) as events:
            async for event in _until_interrupted(events):
                changes = event.payload.get("changes") or []
                if not any(change.get("player_id") == mine for change in changes):
                    continue
                if await info.context.principal() is None:
                    return  # the session ended since the socket subscribed
                with as_query_error():
                    found = await resolvers.viewer_grants(info.context)
                yield [BonusGrant.of(grant) for grant in found]
