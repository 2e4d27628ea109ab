"""The player's inbox: unread counts, marking read, deleting."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.accounts.permissions import Permission
from domain.accounts.principal import holds_permission
from domain.messaging import service as messaging
from domain.messaging.models import InboxMessage
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def unread_count(ctx: Context, player_id: uuid.UUID) -> int | None:
    """The player's unread messages: for the player, or staff with player.read (None for
    anyone else). Sibling players of one page load together."""
    principal = await ctx.principal()
    if principal is None or not principal.fully_authenticated:
        return None
    if principal.is_player and principal.id != player_id:
        return None
    if principal.is_staff and not holds_permission(
        principal, Permission.PLAYER_READ, ctx.brand.slug
    ):
        return None

    async def load(keys: Sequence[uuid.UUID]) -> list[int]:
        async with ctx.db.uow() as uow:
            found = await messaging.unread_counts(uow, ctx.brand.slug, list(keys))
        return [found[key] for key in keys]

    count: int = await ctx.loader("messaging.unread_count", load).load(player_id)
    return count


async def mark_read(ctx: Context, message_id: uuid.UUID | None) -> Outcome[InboxMessage]:
    principal = await ctx.principal()

    async def run() -> InboxMessage:
        async with ctx.db.uow() as uow:
            message = await messaging.mark_read(uow, principal, ctx.brand.slug, message_id)
            await uow.commit()
        return message

    return await attempt(run)


async def delete(ctx: Context, message_id: uuid.UUID | None) -> Outcome[bool]:
    principal = await ctx.principal()

    async def run() -> bool:
        async with ctx.db.uow() as uow:
            await messaging.delete(uow, principal, ctx.brand.slug, message_id)
            await uow.commit()
        return True

    return await attempt(run)
