"""What every channel's worker does with one queued message, whatever the channel: lock it
while still queued, send it and mark it sent in one transaction; on failure roll that
back, count the attempt in a transaction of its own and say whether to try again.

E-mail (domain.messaging.mail) and text messages (domain.messaging.sms) keep their own
rows, senders and ports; the attempt, its status moves and its result are this module's,
so both channels retry, give up and report in exactly the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from domain.kernel.db import Database, UnitOfWork
from domain.kernel.errors import DomainError

ERROR_LENGTH_MAX: Final = 500


class QueuedRow(Protocol):
    """The columns a channel's message row shares: its status and how attempts went."""

    status: str
    attempts: int
    last_error: str | None


Row = TypeVar("Row", bound=QueuedRow)


@dataclass(frozen=True)
class Delivery:
    """How one attempt ended: sent, nothing to do, or failed (for good, or to retry)."""

    sent: bool
    error: DomainError | None = None
    retry: bool = False


async def claim_queued(
    uow: UnitOfWork, model: type[Row], message_id: uuid.UUID, *, queued: str
) -> Row | None:
    """The message, locked, if it is still queued and no other worker holds it (that one
    is sending it: skip rather than wait and send twice)."""
    id_column: InstrumentedAttribute[uuid.UUID] = model.id  # type: ignore[attr-defined]
    status_column: InstrumentedAttribute[str] = model.status  # type: ignore[assignment]
    found: Row | None = await uow.session.scalar(
        select(model)
        .where(id_column == message_id, status_column == queued)
        .with_for_update(skip_locked=True)
    )
    return found


def mark_sent(row: QueuedRow, *, sent: str) -> None:
    """The row's status after a successful send, in the send's transaction."""
    row.status = sent
    row.attempts += 1
    row.last_error = None


async def record_failure(
    uow: UnitOfWork,
    model: type[Row],
    message_id: uuid.UUID,
    error: str,
    *,
    queued: str,
    failed: str,
    final: bool,
    attempts_max: int,
    on_failed: Callable[[Row], None] | None = None,
) -> bool:
    """Count a failed attempt; the message fails for good when `final` (the provider
    refused it) or after `attempts_max` attempts (`on_failed` then stamps what the channel
    keeps). Returns whether it failed for good (no retry); a message no longer queued is
    done already."""
    id_column: InstrumentedAttribute[uuid.UUID] = model.id  # type: ignore[attr-defined]
    status_column: InstrumentedAttribute[str] = model.status  # type: ignore[assignment]
    row: Row | None = await uow.session.scalar(
        select(model).where(id_column == message_id, status_column == queued).with_for_update()
    )
    if row is None:
        return True
    row.attempts += 1
    row.last_error = error[:ERROR_LENGTH_MAX]
    if final or row.attempts >= attempts_max:
        row.status = failed
        if on_failed is not None:
            on_failed(row)
    await uow.flush()
    return row.status == failed


async def attempt(
    database: Database,
    *,
    send: Callable[[UnitOfWork], Awaitable[bool]],
    record: Callable[[UnitOfWork, DomainError, bool], Awaitable[bool]],
    unavailable: type[DomainError],
    refused: type[DomainError],
) -> Delivery:
    """One attempt at a queued message, as a worker makes it (a flow: it commits its own
    units of work). `send` sends and marks the message in one transaction; when the port
    raises `unavailable` (may pass) or `refused` (never will), that transaction rolls back
    and `record(uow, error, final)` counts the attempt in one of its own, answering whether
    the message failed for good. `retry` says the caller should try again later."""
    try:
        async with database.transaction() as uow:
            sent = await send(uow)
    except (unavailable, refused) as error:
        async with database.transaction() as uow:
            final = await record(uow, error, isinstance(error, refused))
        return Delivery(sent=False, error=error, retry=not final)
    return Delivery(sent=sent)
