"""Live inbox changes for the signed-in player."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.accounts.principal import require_player
from domain.messaging.events import InboxChanged
from schema.accounts.subscriptions import _until_interrupted
from schema.context import Info
from schema.errors import as_query_error


@strawberry.type(description="The viewer's inbox changed: a message arrived, was read or deleted.")
class InboxChange:
    unread_count: int = strawberry.field(description="Unread messages now.")


@strawberry.type
class MessagingSubscription:
    @strawberry.subscription(
        description="The signed-in player's inbox changes with the unread count, each sent "
        "after its transaction commits. The stream ends when the session does."
    )
    async def inbox_changed(self, info: Info) -> AsyncGenerator[InboxChange, None]:
        with as_query_error():
            player = require_player(await info.context.principal())
        mine = str(player.id)
        brand = info.context.brand.slug
        async with info.context.hub.subscribe(InboxChanged.topic, brand=brand) as events:
            async for event in _until_interrupted(events):
                if event.payload.get("player_id") != mine:
                    continue
                if await info.context.principal() is None:
                    return  # the session ended since the socket subscribed
                yield InboxChange(unread_count=int(event.payload["unread_count"]))
