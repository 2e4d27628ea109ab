"""Text messages: queued in the caller's transaction, sent by a worker through the SMS
port with retries, and moved to delivered or failed by the provider's status webhook.

Sending is idempotent: only a message still queued is sent, under a row lock that a second
worker skips, and it is marked sent (with the provider's id) in the transaction that sent
it, so a redelivered job sends nothing. A refusal (SmsRejected) or the last attempt fails
the message for good; a provider that is down is retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select, update

from domain.accounts.errors import InvalidPhone
from domain.accounts.identifiers import normalise_phone
from domain.integrations.sms import (
    BODY_LENGTH_MAX,
    PROVIDER_ID_PATTERN,
    OutgoingSms,
    SmsProvider,
    SmsRejected,
    SmsUnavailable,
)
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.outbox import emit
from domain.messaging.events import SmsQueued
from domain.messaging.models import SmsMessage, SmsStatus

ERROR_LENGTH_MAX: Final = 500
# What a provider's status webhook may say, and where it moves a sent message.
PROVIDER_STATUSES: Final = {
    "delivered": SmsStatus.DELIVERED,
    "failed": SmsStatus.FAILED,
    "undelivered": SmsStatus.FAILED,
}


class SmsBodyInvalid(DomainError):
    code = "INVALID_SMS"
    message = f"A text message has 1 to {BODY_LENGTH_MAX} printable characters."


async def queue(
    uow: UnitOfWork,
    *,
    brand: str,
    recipient: str,
    body: str,
    player_id: uuid.UUID | None = None,
) -> SmsMessage:
    """Queue one text message in the caller's transaction; a worker sends it after commit.
    Errors: InvalidPhone, SmsBodyInvalid."""
    phone = normalise_phone(recipient)
    if not phone:
        raise InvalidPhone(field="recipient")
    text = body.strip()
    if not text or len(text) > BODY_LENGTH_MAX or not text.replace("\n", " ").isprintable():
        raise SmsBodyInvalid(field="body")
    message = SmsMessage(
        id=uuid.uuid4(),
        brand=brand,
        player_id=player_id,
        recipient=phone,
        body=text,
        status=SmsStatus.QUEUED,
        attempts=0,
    )
    uow.session.add(message)
    await uow.flush()
    await emit(uow, SmsQueued(message_id=str(message.id)), brand=brand)
    return message


async def send(
    uow: UnitOfWork,
    message_id: uuid.UUID,
    *,
    provider: SmsProvider,
    sender: str,
    status_callback: str | None,
) -> bool:
    """Send a queued message and mark it sent, in the caller's transaction. False: nothing
    to send (already sent or failed, or another worker holds it). Errors: SmsUnavailable,
    SmsRejected from the provider (the caller rolls back and records the attempt)."""
    message = await uow.session.scalar(
        select(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status == SmsStatus.QUEUED)
        .with_for_update(skip_locked=True)
    )
    if message is None:
        return False
    provider_id = await provider.send(
        OutgoingSms(
            reference=str(message.id),
            brand=message.brand,
            recipient=message.recipient,
            sender=sender,
            body=message.body,
            status_callback=status_callback,
        )
    )
    message.status = SmsStatus.SENT
    message.provider_id = provider_id
    message.sent_at = clock.now()
    message.attempts += 1
    message.last_error = None
    await uow.flush()
    return True


async def record_failure(
    uow: UnitOfWork, message_id: uuid.UUID, error: str, *, final: bool, attempts_max: int
) -> bool:
    """Count a failed attempt; returns whether the message failed for good (no retry)."""
    message = await uow.session.scalar(
        select(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status == SmsStatus.QUEUED)
        .with_for_update()
    )
    if message is None:
        return True
    message.attempts += 1
    message.last_error = error[:ERROR_LENGTH_MAX]
    if final or message.attempts >= attempts_max:
        message.status = SmsStatus.FAILED
        message.status_at = clock.now()
    await uow.flush()
    return message.status == SmsStatus.FAILED


@dataclass(frozen=True)
class SmsDelivery:
    sent: bool
    error: SmsUnavailable | SmsRejected | None = None
    retry: bool = False


async def deliver(
    database: Database,
    message_id: uuid.UUID,
    *,
    provider: SmsProvider,
    sender: str,
    status_callback: str | None,
    attempts_max: int,
) -> SmsDelivery:
    """One attempt at a queued message, as the worker makes it (a flow: it commits its own
    units of work). `retry`: the caller should try again later."""
    try:
        async with database.transaction() as uow:
            sent = await send(
                uow, message_id, provider=provider, sender=sender, status_callback=status_callback
            )
    except (SmsUnavailable, SmsRejected) as error:
        async with database.transaction() as uow:
            final = await record_failure(
                uow,
                message_id,
                error.message,
                final=isinstance(error, SmsRejected),
                attempts_max=attempts_max,
            )
        return SmsDelivery(sent=False, error=error, retry=not final)
    return SmsDelivery(sent=sent)


async def record_status(uow: UnitOfWork, provider_id: str, status: str) -> bool:
    """The provider reports what became of a sent message. Only a sent message moves (to
    delivered or failed), once: a redelivered or late webhook changes nothing. Returns
    whether it applied."""
    target = PROVIDER_STATUSES.get(status)
    if target is None or not PROVIDER_ID_PATTERN.match(provider_id):
        return False
    moved = await uow.session.scalar(
        update(SmsMessage)
        .where(SmsMessage.provider_id == provider_id, SmsMessage.status == SmsStatus.SENT)
        .values(status=target, status_at=clock.now())
        .returning(SmsMessage.id)
        .execution_options(synchronize_session=False)
    )
    return moved is not None
