from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.accounts.principal import require_player
from domain.wallets.events import BALANCE_CHANGED
from schema.accounts.subscriptions import _until_interrupted
from schema.context import Info
from schema.errors import as_query_error
from schema.wallets.types import BalanceChange


@strawberry.type
class WalletsSubscription:
    @strawberry.subscription(
        description="The signed-in player's balance changes, each sent after its "
        "transaction commits (through the outbox, so any API replica delivers it). The "
        "stream ends when the session does."
    )
    async def balance_changed(self, info: Info) -> AsyncGenerator[BalanceChange, None]:
        with as_query_error():
            player = require_player(await info.context.principal(), withdraw_only_allowed=True)
        mine = str(player.id)
        brand = info.context.brand.slug
        async with info.context.hub.subscribe(BALANCE_CHANGED, brand=brand) as events:
            async for event in _until_interrupted(events):
                change = BalanceChange.from_event(event.payload, mine)
                if change is None:
                    continue
                if await info.context.principal() is None:
                    # The session ended (sign-out, revocation, suspension) since the socket
                    # subscribed: it no longer speaks for the player, so the stream ends.
                    return
                yield change
