"""Casino fields of the Player type (attached in schema/accounts/types.py): the player
itself, or staff with casino.reconcile, may read them."""

from __future__ import annotations

import uuid
from typing import Annotated, Protocol

import strawberry
from strawberry import relay

from domain.casino import rounds
from resolvers.casino import rounds as round_resolvers
from schema.casino.types import GameRound, round_connection
from schema.context import Info
from schema.errors import as_query_error


class _PlayerLike(Protocol):
    id: str


async def player_game_rounds(
    root: _PlayerLike,
    info: Info,
    *,
    first: Annotated[
        int, strawberry.argument(description=f"1 to {rounds.PAGE_SIZE_MAX}.")
    ] = rounds.PAGE_SIZE_DEFAULT,
    after: Annotated[
        str | None, strawberry.argument(description="The `endCursor` of the previous page.")
    ] = None,
) -> relay.Connection[GameRound]:
    with as_query_error():
        page = await round_resolvers.player_rounds(
            info.context, uuid.UUID(root.id), first=first, after=after
        )
    return round_connection(page, after=after)


game_rounds_field = strawberry.field(
    resolver=player_game_rounds,
    description="The player's casino rounds, newest first (keyset pagination, at most "
    f"{rounds.PAGE_SIZE_MAX} per page). The player, or staff with casino.reconcile.",
)
