"""Casino queries: the lobby (public, brand-scoped), recently played (player), and staff
reconciliation and big wins (casino.reconcile)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.casino import lobby, reconciliation, rounds
from resolvers.casino import lobby as lobby_resolvers
from resolvers.casino import rounds as round_resolvers
from resolvers.permissions import HasPermission
from schema.casino.types import (
    CasinoCategory,
    CasinoGame,
    CasinoProvider,
    CasinoReconciliation,
    CasinoTotals,
    GameRound,
    TopCasinoGame,
    game_connection,
    round_connection,
)
from schema.context import Info
from schema.errors import as_query_error

_AFTER = strawberry.argument(description="The `endCursor` of the previous page.")
_FROM = strawberry.argument(name="from", description="Inclusive; without a zone, UTC.")
_TO = strawberry.argument(
    description=f"Exclusive; without a zone, UTC. At most {reconciliation.RANGE_MAX.days} "
    "days after `from`."
)


@strawberry.type
class CasinoQuery:
    @strawberry.field(
        description="The games this brand lists, by name (keyset pagination, at most "
        f"{lobby.PAGE_SIZE_MAX} per page). `search` matches names by trigram similarity "
        "(typos welcome); the other filters are exact and combine."
    )
    async def casino_games(
        self,
        info: Info,
        *,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {lobby.PAGE_SIZE_MAX}.")
        ] = lobby.PAGE_SIZE_DEFAULT,
        after: Annotated[str | None, _AFTER] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description=f"At most {lobby.SEARCH_LENGTH_MAX} characters."),
        ] = None,
        category: str | None = None,
        provider: Annotated[str | None, strawberry.argument(description="A provider code.")] = None,
        tags: Annotated[
            list[str] | None, strawberry.argument(description="Games with all of these tags.")
        ] = None,
        favourites_only: Annotated[
            bool, strawberry.argument(description="Only the signed-in player's favourites.")
        ] = False,
        include_disabled: Annotated[
            bool,
            strawberry.argument(
                description="Staff with casino.manage: also games switched off on this brand."
            ),
        ] = False,
    ) -> relay.Connection[CasinoGame]:
        with as_query_error():
            page = await lobby_resolvers.games(
                info.context,
                first=first,
                after=after,
                search=search,
                category=category,
                provider=provider,
                tags=tags,
                favourites_only=favourites_only,
                include_disabled=include_disabled,
            )
        return game_connection(page, after=after)

    @strawberry.field(
        description="The games this brand lists by popularity: the real-money bets placed "
        "on the brand over its last `days` business days (today included, from the "
        "reporting read model's daily cells, so they lag play by seconds), most first; "
        "games nobody played follow, the newest first."
    )
    async def top_casino_games(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=f"1 to {lobby.RAIL_MAX}.")] = 12,
        category: str | None = None,
        days: Annotated[
            int, strawberry.argument(description=f"1 to {lobby.TOP_WINDOW_DAYS_MAX}.")
        ] = lobby.TOP_WINDOW_DAYS_DEFAULT,
    ) -> list[TopCasinoGame]:
        with as_query_error():
            found = await lobby_resolvers.top_games(info.context, first, category, days)
        return [
            TopCasinoGame(game=CasinoGame.from_game(game), rounds=rounds) for game, rounds in found
        ]

    @strawberry.field(
        description="The games this brand lists, the latest released first (`releasedOn`)."
    )
    async def new_casino_games(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description=f"1 to {lobby.RAIL_MAX}.")] = 12,
        category: str | None = None,
    ) -> list[CasinoGame]:
        with as_query_error():
            found = await lobby_resolvers.new_games(info.context, first, category)
        return [CasinoGame.from_game(game) for game in found]

    @strawberry.field(description="The lobby's categories on this brand, by code.")
    async def casino_categories(self, info: Info) -> list[CasinoCategory]:
        found = await lobby_resolvers.categories(info.context)
        return [CasinoCategory(code=row.code, game_count=row.game_count) for row in found]

    @strawberry.field(
        description="The providers of the games this brand lists (the lobby's provider "
        "filter), by name."
    )
    async def casino_providers(self, info: Info) -> list[CasinoProvider]:
        found = await lobby_resolvers.providers(info.context)
        return [CasinoProvider(code=row.code, name=row.name) for row in found]

    @strawberry.field(description="A listed game by its code (null if this brand lists none).")
    async def casino_game(
        self,
        info: Info,
        code: str,
        provider: Annotated[
            str | None,
            strawberry.argument(description="Needed only when two providers share the code."),
        ] = None,
    ) -> CasinoGame | None:
        found = await lobby_resolvers.game_by_code(info.context, code, provider)
        return CasinoGame.from_game(found) if found is not None else None

    @strawberry.field(
        description="Player: the games the viewer launched most recently, newest first."
    )
    async def recently_played_games(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {lobby.RECENTLY_PLAYED_MAX}.")
        ] = 12,
    ) -> list[CasinoGame]:
        with as_query_error():
            found = await lobby_resolvers.recently_played(info.context, first)
        return [CasinoGame.from_game(game) for game in found]

    @strawberry.field(
        description="Staff (casino.reconcile): the rounds opened in [from, to), newest first, "
        "with their provider transactions, and totals per currency over the whole filter.",
        extensions=[HasPermission.extension(Permission.CASINO_RECONCILE)],
    )
    async def casino_reconciliation(
        self,
        info: Info,
        *,
        from_: Annotated[datetime, _FROM],
        to: Annotated[datetime, _TO],
        provider: Annotated[str | None, strawberry.argument(description="A provider code.")] = None,
        round_id: Annotated[
            str | None, strawberry.argument(description="The provider's round id.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {rounds.PAGE_SIZE_MAX}.")
        ] = rounds.PAGE_SIZE_DEFAULT,
        after: Annotated[str | None, _AFTER] = None,
    ) -> CasinoReconciliation:
        with as_query_error():
            found = await round_resolvers.reconciliation(
                info.context,
                since=from_,
                until=to,
                provider=provider,
                round_ref=round_id,
                first=first,
                after=after,
            )
        return CasinoReconciliation(
            totals=[CasinoTotals.from_totals(totals) for totals in found.totals],
            rounds=round_connection(found.page, after=after),
        )

    @strawberry.field(
        description="Staff (casino.reconcile): rounds opened in [from, to) whose wins reached "
        "the big-win rule, newest first.",
        extensions=[HasPermission.extension(Permission.CASINO_RECONCILE)],
    )
    async def big_wins(
        self,
        info: Info,
        from_: Annotated[datetime, _FROM],
        to: Annotated[datetime, _TO],
        first: Annotated[
            int, strawberry.argument(description=f"1 to {rounds.PAGE_SIZE_MAX}.")
        ] = rounds.PAGE_SIZE_DEFAULT,
        after: Annotated[str | None, _AFTER] = None,
    ) -> relay.Connection[GameRound]:
        with as_query_error():
            page = await round_resolvers.big_wins(
                info.context, since=from_, until=to, first=first, after=after
            )
        return round_connection(page, after=after)
