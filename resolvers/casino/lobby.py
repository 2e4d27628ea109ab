"""The lobby for players (and anyone on the brand's site): games, categories, favourites,
recently played, and launching a game.

Listing is public and brand-scoped; favourites, recently played and launching need a
signed-in player. Staff with casino.manage may also list switched-off games.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.accounts.permissions import Permission
from domain.accounts.principal import holds_permission, require_permission, require_player
from domain.casino import favourites, lobby
from domain.casino.models import GameMode
from domain.casino.service import Launch, launch
from domain.kernel import clock
from domain.reporting import popularity
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def games(
    ctx: Context,
    *,
    first: int,
    after: str | None,
    search: str | None,
    category: str | None,
    provider: str | None,
    tags: list[str] | None,
    favourites_only: bool,
    include_disabled: bool,
) -> lobby.LobbyPage:
    """Errors: NotAuthenticated (favouritesOnly signed out), PermissionDenied and friends
    (includeDisabled without casino.manage), InvalidLobbyFilter, InvalidCursor,
    InvalidPageSize."""
    favourites_of = None
    if favourites_only:
        favourites_of = require_player(await ctx.principal()).id
    if include_disabled:
        require_permission(await ctx.principal(), Permission.CASINO_MANAGE, ctx.brand.slug)
    filters = lobby.LobbyFilter.of(
        search=search,
        category=category,
        provider=provider,
        tags=tags,
        favourites_of=favourites_of,
    )
    cursor = lobby.LobbyCursor.decode(after) if after is not None else None
    async with ctx.db.uow() as uow:
        return await lobby.games_page(
            uow,
            ctx.brand,
            first=first,
            after=cursor,
            filters=filters,
            include_disabled=include_disabled,
        )


async def categories(ctx: Context) -> list[lobby.Category]:
    async with ctx.db.uow() as uow:
        return await lobby.categories(uow, ctx.brand)


async def providers(ctx: Context) -> list[lobby.Provider]:
    async with ctx.db.uow() as uow:
        return await lobby.providers(uow, ctx.brand)


async def game_by_code(ctx: Context, code: str, provider: str | None) -> lobby.Game | None:
    async with ctx.db.uow() as uow:
        return await lobby.game_by_code(uow, ctx.brand, code, provider=provider)


async def _may_manage(ctx: Context) -> bool:
    return holds_permission(await ctx.principal(), Permission.CASINO_MANAGE, ctx.brand.slug)


async def games_by_id(ctx: Context, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, lobby.Game]:
    """Listed games among `ids` (switched-off ones too for staff with casino.manage)."""
    include_disabled = await _may_manage(ctx)
    async with ctx.db.uow() as uow:
        return await lobby.games_by_id(uow, ctx.brand, ids, include_disabled=include_disabled)


async def game_of_round(ctx: Context, provider: str, code: str) -> lobby.Game | None:
    """A round's game (switched off since or not), batched across a page of rounds."""

    async def load(keys: Sequence[tuple[str, str]]) -> list[lobby.Game | None]:
        async with ctx.db.uow() as uow:
            found = await lobby.games_by_code(uow, ctx.brand, keys)
        return [found.get(key) for key in keys]

    return await ctx.loader("casino.game_of_round", load).load((provider, code))


async def is_favourite(ctx: Context, game_id: uuid.UUID) -> bool:
    """Whether the signed-in player marked the game; false for anyone else. A page of
    games asks in one statement (the principal is read inside the batch: awaiting it
    before `load` would split the page's keys over several ticks, so several batches)."""

    async def load(keys: Sequence[uuid.UUID]) -> list[bool]:
        principal = await ctx.principal()
        if principal is None or not principal.is_player or not principal.fully_authenticated:
            return [False] * len(keys)
        async with ctx.db.uow() as uow:
            found = await lobby.favourite_ids(uow, principal.id, keys)
        return [key in found for key in keys]

    return await ctx.loader("casino.is_favourite", load).load(game_id)


async def top_games(
    ctx: Context, first: int, category: str | None, days: int
) -> list[tuple[lobby.Game, int]]:
    """Public: ranked by the bets of the reporting read model's day x game cells over the
    brand's last `days` days (never a count of rounds per call). Errors: InvalidPageSize,
    InvalidLobbyFilter."""
    lobby.check_top_window(days)
    plays = popularity.casino_game_bets(
        ctx.brand.slug, popularity.window_start(ctx.brand.time_zone, days, clock.now())
    )
    async with ctx.db.uow() as uow:
        return await lobby.top_games(uow, ctx.brand, plays, limit=first, category=category)


async def new_games(ctx: Context, first: int, category: str | None) -> list[lobby.Game]:
    """Public. Errors: InvalidPageSize."""
    async with ctx.db.uow() as uow:
        return await lobby.new_games(uow, ctx.brand, limit=first, category=category)


async def recently_played(ctx: Context, first: int) -> list[lobby.Game]:
    """Errors: NotAuthenticated, TwoFactorRequired, InvalidPageSize."""
    player = require_player(await ctx.principal())
    async with ctx.db.uow() as uow:
        return await lobby.recently_played(uow, ctx.brand, player.id, limit=first)


async def add_favourite(ctx: Context, game_id: uuid.UUID | None) -> Outcome[lobby.Game]:
    async def run() -> lobby.Game:
        player = require_player(await ctx.principal())
        async with ctx.db.uow() as uow:
            game = await favourites.add_favourite(uow, ctx.brand, player.id, game_id)
            await uow.commit()
        return game

    return await attempt(run)


async def remove_favourite(ctx: Context, game_id: uuid.UUID | None) -> Outcome[lobby.Game]:
    async def run() -> lobby.Game:
        player = require_player(await ctx.principal())
        async with ctx.db.uow() as uow:
            game = await favourites.remove_favourite(uow, ctx.brand, player.id, game_id)
            await uow.commit()
        return game

    return await attempt(run)


async def launch_game(
    ctx: Context, game_id: uuid.UUID | None, mode: GameMode
) -> Outcome[tuple[Launch, GameMode]]:
    """Open a game session: the lobby's rule first (listed, switched on), then the domain
    launch (real money passes the compliance guard; demo moves no money: the wallet
    callbacks accept real-mode sessions only)."""

    async def run() -> tuple[Launch, GameMode]:
        player = require_player(await ctx.principal())
        async with ctx.db.uow() as uow:
            game = await lobby.launchable(uow, ctx.brand, game_id)
            launched = await launch(
                uow,
                brand=ctx.brand.slug,
                player_id=player.id,
                provider=game.provider,
                game_code=game.code,
                mode=mode,
            )
            await uow.commit()
        return launched, mode

    return await attempt(run)
