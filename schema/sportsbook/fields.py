"""Sportsbook fields of the Player type (attached in schema/accounts/types.py): the player
itself, or staff with player.read, may read them."""

from __future__ import annotations

import uuid
from typing import Annotated, Protocol

import strawberry
from strawberry import relay

from domain.sportsbook import bet_history, catalog
from resolvers.sportsbook import bets as bet_resolvers
from schema.context import Info
from schema.errors import as_query_error
from schema.sportsbook.types import Bet, bet_connection


class _PlayerLike(Protocol):
    id: str


async def player_bets(
    root: _PlayerLike,
    info: Info,
    *,
    first: Annotated[
        int, strawberry.argument(description=f"1 to {catalog.PAGE_SIZE_MAX}.")
    ] = catalog.PAGE_SIZE_DEFAULT,
    after: Annotated[
        str | None, strawberry.argument(description="The `endCursor` of the previous page.")
    ] = None,
    status: Annotated[
        bet_history.BetGroup | None,
        strawberry.argument(description="OPEN or SETTLED bets only (all if omitted)."),
    ] = None,
) -> relay.Connection[Bet]:
    with as_query_error():
        page = await bet_resolvers.player_bets(
            info.context, uuid.UUID(root.id), first=first, after=after, group=status
        )
    return bet_connection(page, after=after)


bets_field = strawberry.field(
    resolver=player_bets,
    description="The player's sportsbook bets, newest first (keyset pagination, at most "
    f"{catalog.PAGE_SIZE_MAX} per page). The player, or staff with player.read.",
)
