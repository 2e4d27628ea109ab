"""Staff notes on a player (domain.accounts.notes): read with player.read (the players of
one page in one statement), written with player.note.write, both over the request's brand."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.accounts import notes
from domain.accounts.errors import PlayerNotFound
from domain.accounts.permissions import Permission
from domain.accounts.principal import holds_permission
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def player_notes(ctx: Context, player_id: uuid.UUID) -> list[notes.Note]:
    """A player's notes for staff with player.read (nothing for anyone else)."""
    principal = await ctx.principal()
    if not holds_permission(principal, Permission.PLAYER_READ, ctx.brand.slug):
        return []

    async def load(keys: Sequence[uuid.UUID]) -> list[list[notes.Note]]:
        async with ctx.db.uow() as uow:
            found = await notes.notes_of_players(uow, ctx.brand.slug, list(keys))
        return [found[key] for key in keys]

    return await ctx.loader("accounts.player_notes", load).load(player_id)


async def add_player_note(
    ctx: Context, player_id: uuid.UUID | None, body: str
) -> Outcome[notes.Note]:
    async def run() -> notes.Note:
        principal = await ctx.principal()
        async with ctx.db.uow() as uow:
            if player_id is None:
                raise PlayerNotFound(field="playerId")
            note = await notes.add_note(uow, principal, ctx.brand.slug, player_id, body)
            await uow.commit()
        return note

    return await attempt(run)
