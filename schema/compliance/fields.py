"""Player protection fields of the Player type (attached in schema/accounts/types.py):
limits for the player itself or staff with player.read; the reality check for the player's
own session."""

from __future__ import annotations

import uuid
from typing import Protocol

import strawberry

from resolvers.compliance import protection as protection_resolvers
from schema.compliance.types import Limit, LinkedPlayer, RealityCheck
from schema.context import Info
from schema.errors import as_query_error


class _PlayerLike(Protocol):
    id: str
    currency: str
    reality_check_minutes: int | None


async def player_limits(root: _PlayerLike, info: Info) -> list[Limit]:
    with as_query_error():
        found = await protection_resolvers.limits_of(info.context, uuid.UUID(root.id))
    return [Limit.of(limit) for limit in found]


async def player_reality_check(root: _PlayerLike, info: Info) -> RealityCheck | None:
    state = await protection_resolvers.reality_check(
        info.context, uuid.UUID(root.id), root.reality_check_minutes, root.currency
    )
    return RealityCheck.of(state) if state else None


async def player_linked_players(root: _PlayerLike, info: Info) -> list[LinkedPlayer]:
    with as_query_error():
        found = await protection_resolvers.linked_players(info.context, uuid.UUID(root.id))
    return [LinkedPlayer.of(linked) for linked in found]


linked_players_field = strawberry.field(
    resolver=player_linked_players,
    description="Staff with player.read: the players of this player's person on the "
    "operator's brands (itself included), only on brands within the staff member's scope.",
)
limits_field = strawberry.field(
    resolver=player_limits,
    description="The player's deposit, loss, wager and session limits with their usage "
    "(the player, or staff with player.read).",
)
reality_check_field = strawberry.field(
    resolver=player_reality_check,
    description="The reality-check reminder of the viewer's own session; null when reality "
    "checks are off (or for anyone but the player).",
)
