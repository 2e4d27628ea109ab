from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.exceptions import StrawberryGraphQLError

from domain.accounts.events import SessionRevoked
from domain.accounts.principal import require_player
from domain.kernel import clock
from domain.kernel.errors import NotAuthenticated
from domain.kernel.pubsub import PublishedEvent, SubscriptionInterrupted
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import global_id


@strawberry.enum
class SessionEventKind(Enum):
    REVOKED = "revoked"


@strawberry.type(description="Something happened to one of the viewer's sessions.")
class SessionEvent:
    kind: SessionEventKind
    session_id: strawberry.ID
    reason: str
    current: bool = strawberry.field(
        description="True when it is this connection's own session; the stream then ends."
    )
    at: datetime


async def _until_interrupted(
    events: AsyncIterator[PublishedEvent],
) -> AsyncIterator[PublishedEvent]:
    """The hub's events; when the hub cuts the stream (this subscriber fell behind, or its
    database connection dropped) the client gets a typed error telling it to resubscribe."""
    try:
        async for event in events:
            yield event
    except SubscriptionInterrupted as interrupted:
        raise StrawberryGraphQLError(
            f"The event stream was interrupted ({interrupted}); subscribe again.",
            extensions={"code": "SUBSCRIPTION_INTERRUPTED"},
        ) from None


@strawberry.type
class AccountsSubscription:
    @strawberry.subscription(
        description="Events of the viewer's sessions (e.g. revoked elsewhere, or by staff)."
    )
    async def session_events(self, info: Info) -> AsyncGenerator[SessionEvent, None]:
        principal = await info.context.principal()
        with as_query_error():
            if principal is None:
                raise NotAuthenticated()
            if principal.is_player:
                require_player(principal, withdraw_only_allowed=True)
        mine = str(principal.id)
        # Player sessions belong to one brand; staff sessions to none.
        brand = info.context.brand.slug if principal.is_player else None
        async with info.context.hub.subscribe(SessionRevoked.topic, brand=brand) as events:
            async for event in _until_interrupted(events):
                payload = event.payload
                if payload.get("principal_id") != mine:
                    continue
                current = payload.get("session_id") == str(principal.session_id)
                if not current and await info.context.principal() is None:
                    # This connection's own session ended (e.g. the player was suspended)
                    # without an event reaching us first: stop serving it.
                    return
                yield SessionEvent(
                    kind=SessionEventKind.REVOKED,
                    session_id=global_id("Session", payload["session_id"]),
                    reason=str(payload.get("reason", "")),
                    current=current,
                    at=clock.now(),
                )
                if current:
                    return
