"""Support chat: the player's side and the support queue's (domain.messaging.chat)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence

from domain.accounts.models import Player
from domain.kernel.errors import DomainError
from domain.messaging import chat
from domain.messaging.models import SupportConversation, SupportMessage
from resolvers.context import Context
from resolvers.results import Outcome, attempt

log = logging.getLogger(__name__)


async def player_writes(
    ctx: Context, body: str
) -> Outcome[tuple[SupportConversation, SupportMessage]]:
    async def run() -> tuple[SupportConversation, SupportMessage]:
        async with ctx.db.uow() as uow:
            written = await chat.player_writes(uow, await ctx.principal(), ctx.brand.slug, body)
            await uow.commit()
        return written

    return await attempt(run)


async def take(ctx: Context, conversation_id: uuid.UUID | None) -> Outcome[SupportConversation]:
    async def run() -> SupportConversation:
        async with ctx.db.uow() as uow:
            taken = await chat.take(uow, await ctx.principal(), ctx.brand.slug, conversation_id)
            await uow.commit()
        return taken

    return await attempt(run)


async def reply(
    ctx: Context, conversation_id: uuid.UUID | None, body: str
) -> Outcome[SupportMessage]:
    async def run() -> SupportMessage:
        async with ctx.db.uow() as uow:
            message = await chat.agent_replies(
                uow, await ctx.principal(), ctx.brand.slug, conversation_id, body,
                origin=ctx.link_origin,
            )  # fmt: skip
            await uow.commit()
        return message

    return await attempt(run)


async def close(ctx: Context, conversation_id: uuid.UUID | None) -> Outcome[SupportConversation]:
    async def run() -> SupportConversation:
        async with ctx.db.uow() as uow:
            closed = await chat.close(uow, await ctx.principal(), ctx.brand.slug, conversation_id)
            await uow.commit()
        return closed

    return await attempt(run)


async def own_conversation(ctx: Context) -> SupportConversation | None:
    async with ctx.db.uow() as uow:
        return await chat.own_conversation(uow, await ctx.principal(), ctx.brand.slug)


async def queue(ctx: Context, limit: int) -> list[tuple[SupportConversation, Player]]:
    async with ctx.db.uow() as uow:
        return await chat.queue(uow, await ctx.principal(), ctx.brand.slug, limit)


async def staff_conversation(
    ctx: Context, conversation_id: uuid.UUID | None
) -> tuple[SupportConversation, Player]:
    async with ctx.db.uow() as uow:
        return await chat.staff_conversation(
            uow, await ctx.principal(), ctx.brand.slug, conversation_id
        )


async def transcript(ctx: Context, conversation_id: uuid.UUID) -> list[SupportMessage]:
    """One conversation's messages; sibling conversations of a page load together. The
    caller reached the conversation through a read that checked who may see it."""

    async def load(keys: Sequence[uuid.UUID]) -> list[list[SupportMessage]]:
        async with ctx.db.uow() as uow:
            found = await chat.transcripts(uow, ctx.brand.slug, list(keys))
        return [found[key] for key in keys]

    messages: list[SupportMessage] = await ctx.loader("messaging.transcript", load).load(
        conversation_id
    )
    return messages


async def _mark_present(ctx: Context, *, present: bool) -> None:
    async with ctx.db.uow() as uow:
        await chat.keep_present(uow, await ctx.principal(), ctx.brand.slug, present=present)
        await uow.commit()


@contextlib.asynccontextmanager
async def presence(ctx: Context) -> AsyncIterator[None]:
    """While the signed-in player's live chat connection is open, they count as present
    (support's replies then reach them live, not by e-mail too): marked before the first
    event can arrive, renewed every PRESENCE_RENEW_S, ended when the connection closes."""
    await _mark_present(ctx, present=True)

    async def renew() -> None:
        while True:
            await asyncio.sleep(chat.PRESENCE_RENEW_S)
            try:
                await _mark_present(ctx, present=True)
            except DomainError:
                return  # the session ended: the lease lapses by itself

    renewing = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(BaseException):
            await renewing
        try:
            await _mark_present(ctx, present=False)
        except Exception:  # whatever it was, the lease lapses by itself
            log.info("support presence not ended; it lapses within the lease")
