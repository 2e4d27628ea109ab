"""Text messages: queued in the caller's transaction, sent by a worker through the SMS
port with retries, and moved to delivered or failed by the provider's status webhook.

Sending is idempotent: only a message still queued is sent, under a row lock that a second
worker skips, and it is marked sent (with the provider's id) in the transaction that sent
it, so a redelivered job sends nothing. A refusal (SmsRejected) or the last attempt fails
the message for good; a provider that is down is retried.

A message is either written by the caller (`body`) or rendered at send time from the
brand's text templates in the player's locale (`kind`, `locale`, `parameters`: a campaign),
as e-mail is; the body sent is kept on the row.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from sqlalchemy import update

from domain.accounts.errors import InvalidPhone
from domain.accounts.identifiers import normalise_phone
from domain.accounts.models import Player
from domain.compliance.kyc import phone
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
from domain.messaging import delivery
from domain.messaging.delivery import Delivery
from domain.messaging.events import SmsQueued
from domain.messaging.mail import Draft
from domain.messaging.models import SmsMessage, SmsStatus

# What a provider's status webhook may say, and where it moves a sent message.
PROVIDER_STATUSES: Final = {
    "delivered": SmsStatus.DELIVERED,
    "failed": SmsStatus.FAILED,
    "undelivered": SmsStatus.FAILED,
}


class SmsBodyInvalid(DomainError):
    code = "INVALID_SMS"
    message = f"A text message has 1 to {BODY_LENGTH_MAX} printable characters."


# Renders a templated text message (the worker's: templates are a framework concern).
RenderText = Callable[[Draft], str]
# Kinds that carry a secret made at send time: (uow, player) -> the code.
_SECRETS: Final[Mapping[str, Callable[[UnitOfWork, Player], Awaitable[str]]]] = {
    "phone_code": phone.issue_code,
}


def _checked(body: str) -> str | None:
    text = body.strip()
    if not text or len(text) > BODY_LENGTH_MAX or not text.replace("\n", " ").isprintable():
        return None
    return text


async def queue(
    uow: UnitOfWork,
    *,
    brand: str,
    recipient: str,
    body: str | None = None,
    player_id: uuid.UUID | None = None,
    kind: str | None = None,
    locale: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> SmsMessage:
    """Queue one text message in the caller's transaction; a worker sends it after commit.
    Give its `body`, or the `kind`, `locale` and `parameters` of a brand template to
    render when it is sent. Errors: InvalidPhone, SmsBodyInvalid."""
    phone = normalise_phone(recipient)
    if not phone:
        raise InvalidPhone(field="recipient")
    if (body is None) == (kind is None):
        raise SmsBodyInvalid(field="body")
    text = _checked(body) if body is not None else None
    if body is not None and text is None:
        raise SmsBodyInvalid(field="body")
    message = SmsMessage(
        id=uuid.uuid4(),
        brand=brand,
        player_id=player_id,
        recipient=phone,
        body=text,
        kind=kind,
        locale=locale,
        parameters=dict(parameters or {}) if kind is not None else None,
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
    render: RenderText | None = None,
) -> bool:
    """Send a queued message and mark it sent, in the caller's transaction. False: nothing
    to send (already sent or failed, or another worker holds it). Errors: SmsUnavailable,
    SmsRejected from the provider, or SmsRejected for a rendered text the port cannot
    carry (the caller rolls back and records the attempt)."""
    message = await delivery.claim_queued(uow, SmsMessage, message_id, queued=SmsStatus.QUEUED)
    if message is None:
        return False
    body = message.body
    secret = message.kind in _SECRETS
    if body is None:
        assert render is not None, "a templated text message needs a renderer"
        assert message.kind is not None
        parameters = dict(message.parameters or {})
        if secret:
            # Made now, in the send's transaction: a failed send rolls the code back.
            player = await uow.session.get(Player, message.player_id)
            if player is None:
                return False
            parameters["code"] = await _SECRETS[message.kind](uow, player)
        body = _checked(
            render(Draft(message.brand, message.kind, message.locale or "en", parameters))
        )
        if body is None:
            raise SmsRejected(f"the rendered text is not 1-{BODY_LENGTH_MAX} printable characters")
    provider_id = await provider.send(
        OutgoingSms(
            reference=str(message.id),
            brand=message.brand,
            recipient=message.recipient,
            sender=sender,
            body=body,
            status_callback=status_callback,
        )
    )
    delivery.mark_sent(message, sent=SmsStatus.SENT)
    if not secret:
        message.body = body  # a code is kept only in the message itself
    message.provider_id = provider_id
    message.sent_at = clock.now()
    await uow.flush()
    return True


async def record_failure(
    uow: UnitOfWork, message_id: uuid.UUID, error: str, *, final: bool, attempts_max: int
) -> bool:
    """Count a failed attempt; returns whether the message failed for good (no retry)."""

    def stamp(message: SmsMessage) -> None:
        message.status_at = clock.now()

    return await delivery.record_failure(
        uow, SmsMessage, message_id, error, queued=SmsStatus.QUEUED, failed=SmsStatus.FAILED,
        final=final, attempts_max=attempts_max, on_failed=stamp,
    )  # fmt: skip


async def deliver(
    database: Database,
    message_id: uuid.UUID,
    *,
    provider: SmsProvider,
    sender: str,
    status_callback: str | None,
    attempts_max: int,
    render: RenderText | None = None,
) -> Delivery:
    """One attempt at a queued message, as the worker makes it (a flow: it commits its own
    units of work). `retry`: the caller should try again later."""

    async def attempt_send(uow: UnitOfWork) -> bool:
        return await send(
            uow, message_id, provider=provider, sender=sender, status_callback=status_callback,
            render=render,
        )  # fmt: skip

    async def record(uow: UnitOfWork, error: DomainError, final: bool) -> bool:
        return await record_failure(
            uow, message_id, error.message, final=final, attempts_max=attempts_max
        )

    return await delivery.attempt(
        database, send=attempt_send, record=record, unavailable=SmsUnavailable,
        refused=SmsRejected,
    )  # fmt: skip


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
