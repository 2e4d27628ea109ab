"""The transactional outbox: events are rows written in the transaction that causes them.

A relay (workers/relay.py) publishes committed rows to the broker and to pub/sub, so nothing
is ever published before its commit. An insert trigger NOTIFYs the relay, which PostgreSQL
delivers only at commit. Consumers claim `(consumer, event_id)` in their own transaction,
so redelivery is harmless.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Index, Text, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel import telemetry
from domain.kernel.db import Base, Database, UnitOfWork

RELAY_CHANNEL = "stakehouse_outbox"
EVENTS_CHANNEL = "stakehouse_events"


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The trace and log context of the request that emitted it (domain/kernel/telemetry.py),
    # carried by the relay into the actors' messages.
    context: Mapped[dict[str, str] | None] = mapped_column(JSONB)

    __table_args__ = (
        Index("ix_outbox_events_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )


class ProcessedMessage(Base):
    """Which consumer has applied which event: the dedup row of an idempotent actor."""

    __tablename__ = "processed_messages"

    consumer: Mapped[str] = mapped_column(Text, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of domain events; subclasses are frozen dataclasses with a `topic`."""

    topic: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        # As dataclasses.asdict, without its deep copy of every value (a settled chunk's
        # event carries 500 bet ids).
        return {
            field.name: _json_value(_plain(getattr(self, field.name)))
            for field in dataclasses.fields(self)
        }


def _plain(value: object) -> object:
    """Nested dataclasses as dicts, through lists, tuples and dicts (as asdict makes them)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _json_value(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def emit(uow: UnitOfWork, event: Event, *, brand: str | None) -> None:
    """Record `event` in the caller's transaction; it is published after commit."""
    await uow.session.execute(
        insert(OutboxEvent).values(
            topic=event.topic,
            brand=brand,
            payload=event.payload(),
            context=telemetry.carried_context(),
        )
    )


async def emit_many(uow: UnitOfWork, events: Sequence[Event], *, brand: str | None) -> None:
    """Record several events of one brand in the caller's transaction, in one statement
    (a batch's consumers must not pay a round trip per event)."""
    if not events:
        return
    context = telemetry.carried_context()
    await uow.session.execute(
        insert(OutboxEvent),
        [
            {"topic": event.topic, "brand": brand, "payload": event.payload(), "context": context}
            for event in events
        ],
    )


async def claim_message(uow: UnitOfWork, consumer: str, event_id: int) -> bool:
    """Claim an event for a consumer in the effect's transaction; False if already applied."""
    result = await uow.session.execute(
        pg_insert(ProcessedMessage)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(ProcessedMessage.event_id)
    )
    return result.scalar_one_or_none() is not None


async def claim_messages(uow: UnitOfWork, consumer: str, event_ids: Sequence[int]) -> set[int]:
    """Claim a batch of events for a consumer in one statement; returns the ids claimed
    here (not applied before)."""
    if not event_ids:
        return set()
    result = await uow.session.execute(
        pg_insert(ProcessedMessage)
        .values([{"consumer": consumer, "event_id": event_id} for event_id in set(event_ids)])
        .on_conflict_do_nothing()
        .returning(ProcessedMessage.event_id)
    )
    return set(result.scalars())


async def prune_published(uow: UnitOfWork, *, before: datetime, limit: int) -> int:
    """Delete up to `limit` events published before `before`, oldest first; returns how many.

    Unpublished rows are never deleted, however old: they are still owed to consumers.
    """
    oldest = (
        select(OutboxEvent.id)
        .where(OutboxEvent.published_at < before)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    result = await uow.session.execute(
        delete(OutboxEvent)
        .where(OutboxEvent.id.in_(oldest))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def prune_published_batches(
    database: Database, *, before: datetime, batch_size: int, batches_max: int
) -> int:
    """Delete events published before `before`, `batch_size` at a time in a transaction
    each (a short lock per batch, never one long delete), up to `batches_max` batches a
    call; returns how many. A flow: it opens and commits its own units of work."""
    total = 0
    for _ in range(batches_max):
        async with database.transaction() as uow:
            deleted = await prune_published(uow, before=before, limit=batch_size)
        total += deleted
        if deleted < batch_size:
            break
    return total


@dataclasses.dataclass(frozen=True)
class Backlog:
    """Events of a brand committed but not yet relayed: how many, and since when."""

    pending: int
    oldest_created_at: datetime | None


async def backlog(uow: UnitOfWork, brand: str) -> Backlog:
    """The brand's unpublished events (one statement on the partial index of the relay):
    a growing count or an old oldest means the relay is behind or down."""
    count, oldest = (
        await uow.session.execute(
            select(func.count(), func.min(OutboxEvent.created_at)).where(
                OutboxEvent.published_at.is_(None), OutboxEvent.brand == brand
            )
        )
    ).one()
    return Backlog(int(count or 0), oldest)
