from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

import strawberry

from domain.accounts.principal import require_player
from domain.bonuses.events import BonusUpdated
from domain.kernel.pubsub import PublishedEvent, Subscription
from domain.wallets.events import BALANCE_CHANGED
from resolvers.bonuses import bonuses as resolvers
from schema.accounts.subscriptions import _until_interrupted
from schema.bonuses.types import BonusGrant
from schema.context import Info
from schema.errors import as_query_error


async def _either(first: Subscription, second: Subscription) -> AsyncIterator[PublishedEvent]:
    """The events of two subscriptions as they arrive; an interruption of either ends it
    (raised to the caller, who tells the client to resubscribe)."""
    streams = {first: asyncio.ensure_future(anext(first)), second: None}
    streams[second] = asyncio.ensure_future(anext(second))
    try:
        while True:
            done, _ = await asyncio.wait(
                [task for task in streams.values() if task is not None],
                return_when=asyncio.FIRST_COMPLETED,
            )
            for stream, task in list(streams.items()):
                if task in done:
                    event = task.result()  # StopAsyncIteration / SubscriptionInterrupted
                    streams[stream] = asyncio.ensure_future(anext(stream))
                    yield event
    except StopAsyncIteration:
        return
    finally:
        for task in streams.values():
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task


def _concerns(event: PublishedEvent, player_id: str) -> bool:
    if event.topic == BonusUpdated.topic:
        return event.payload.get("player_id") == player_id
    changes = event.payload.get("changes") or []
    return any(change.get("player_id") == player_id for change in changes)


@strawberry.type
class BonusesSubscription:
    @strawberry.subscription(
        description="The signed-in player's bonuses (newest first), sent again after every "
        "committed money movement of the player (each stake moves wagering progress) and "
        "whenever one of their bonuses is granted or ends, even with no money left to move. "
        "Ends with the session."
    )
    async def bonus_updated(self, info: Info) -> AsyncGenerator[list[BonusGrant], None]:
        with as_query_error():
            player = require_player(await info.context.principal())
        mine = str(player.id)
        brand = info.context.brand.slug
        hub = info.context.hub
        async with (
            hub.subscribe(BALANCE_CHANGED, brand=brand) as money,
            hub.subscribe(BonusUpdated.topic, brand=brand) as bonuses,
        ):
            async for event in _until_interrupted(_either(money, bonuses)):
                if not _concerns(event, mine):
                    continue
                if await info.context.principal() is None:
                    return  # the session ended since the socket subscribed
                with as_query_error():
                    found = await resolvers.viewer_grants(info.context)
                yield [BonusGrant.of(grant) for grant in found]
