"""The welcome message end to end: registration commits an outbox event, the relay hands
it to the real Redis broker, a real dramatiq Worker runs `messaging.send_welcome`."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.outbox import ProcessedMessage
from domain.messaging.models import InboxMessage
from domain.messaging.service import WELCOME_CONSUMER
from tests.support import create_player
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from workers.actors import broker, messaging
from workers.relay import relay_batch


async def inbox_of(db: Database, player_id: uuid.UUID) -> list[InboxMessage]:
    async with db.uow() as uow:
        return list(
            await uow.session.scalars(
                select(InboxMessage).where(InboxMessage.player_id == player_id)
            )
        )


async def test_registration_puts_one_welcome_message_in_the_inbox(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    assert await relay_batch(db, limit=100) == 1

    async def delivered() -> bool:
        return bool(await inbox_of(db, player_id))

    async with running_worker(messaging.QUEUE):
        await eventually(delivered)

    (message,) = await inbox_of(db, player_id)
    aurora = registry.get("aurora")
    assert (message.brand, message.kind) == ("aurora", "welcome")
    assert message.subject == f"Welcome to {aurora.name}"


async def test_redelivered_welcome_is_applied_once(db: Database, registry: BrandRegistry) -> None:
    player_id = await create_player(db, registry)
    assert await relay_batch(db, limit=100) == 1
    (sent,) = queued_messages(messaging.QUEUE)
    # At-least-once delivery: the broker may hand the same message over twice.
    broker.enqueue(sent)
    assert len(queued_messages(messaging.QUEUE)) == 2

    async with running_worker(messaging.QUEUE):
        # Both deliveries are processed and acknowledged once the queue is empty.
        await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=5_000)

    assert len(await inbox_of(db, player_id)) == 1
    async with db.uow() as uow:
        claims = await uow.session.scalar(
            select(func.count())
            .select_from(ProcessedMessage)
            .where(ProcessedMessage.consumer == WELCOME_CONSUMER)
        )
    assert claims == 1
