"""E-mail: queue a message in the caller's transaction, send it from a worker, track its
delivery (queued → sent | failed; sent → bounced by the provider's signed webhook).

Queuing writes the message row and an EmailQueued outbox event in one transaction, so a
message is sent only if what caused it committed. Sending is idempotent per message: the
worker locks the row, sends only a message still `queued`, and marks it `sent` in the same
transaction, so a redelivered event finds it sent and sends nothing. The message is
rendered at send time from the brand's templates (the caller's `render`: templates are a
framework concern the domain does not import); links that carry a token are made then too,
so the token exists only in the e-mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from domain.accounts import recovery
from domain.accounts.models import Player, TokenPurpose
from domain.integrations.mail import (
    Mailer,
    MailRejected,
    MailUnavailable,
    OutgoingMail,
    message_id_for,
)
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.outbox import emit
from domain.messaging import delivery
from domain.messaging.delivery import Delivery
from domain.messaging.events import EmailBounced, EmailQueued
from domain.messaging.models import EmailKind, EmailMessage, EmailStatus

BOUNCE_REASON_LENGTH_MAX = 500

# Kinds whose e-mail carries a single-use link: (token purpose, site path).
_LINKS: Mapping[str, tuple[TokenPurpose, str]] = {
    EmailKind.VERIFY_EMAIL: (TokenPurpose.VERIFY_EMAIL, "/verify-email"),
    EmailKind.PASSWORD_RESET: (TokenPurpose.RESET_PASSWORD, "/reset-password"),
}


@dataclass(frozen=True)
class Draft:
    """What a template gets: the brand, the kind, the locale and the parameters (with the
    link made at send time)."""

    brand: str
    kind: str
    locale: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


Render = Callable[[Draft], Rendered]


@dataclass(frozen=True)
class Sender:
    """Who a brand's mail comes from: `From` and the Message-ID domain."""

    address: str
    domain: str


async def queue(
    uow: UnitOfWork,
    *,
    brand: str,
    kind: EmailKind,
    recipient: str,
    locale: str,
    player_id: uuid.UUID | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> EmailMessage:
    """Queue one e-mail in the caller's transaction; a worker sends it after commit."""
    message = EmailMessage(
        id=uuid.uuid4(),
        brand=brand,
        player_id=player_id,
        kind=kind,
        recipient=recipient,
        locale=locale,
        parameters=dict(parameters or {}),
        status=EmailStatus.QUEUED,
        attempts=0,
    )
    uow.session.add(message)
    await uow.flush()
    await emit(uow, EmailQueued(message_id=str(message.id)), brand=brand)
    return message


async def send(
    uow: UnitOfWork, message_id: uuid.UUID, *, mailer: Mailer, render: Render, sender: Sender
) -> bool:
    """Send a queued message and mark it sent, in the caller's transaction (which the
    caller commits). False: nothing to send (already sent, failed, or another worker holds
    it). Errors: MailUnavailable, MailRejected from the mailer; the caller rolls back (no
    token is kept) and records the attempt with `record_failure`."""
    message = await delivery.claim_queued(uow, EmailMessage, message_id, queued=EmailStatus.QUEUED)
    if message is None:
        return False
    parameters = dict(message.parameters)
    link = _LINKS.get(message.kind)
    if link is not None:
        player = await uow.session.get(Player, message.player_id)
        if player is None:
            return False
        purpose, path = link
        token = await recovery.issue_token(uow, player, purpose)
        parameters["link"] = f"{parameters.get('origin', '')}{path}?token={token}"
    rendered = render(Draft(message.brand, message.kind, message.locale, parameters))
    now = clock.now()
    await mailer.send(
        OutgoingMail(
            message_id=message_id_for(str(message.id), sender.domain),
            sender=sender.address,
            recipient=message.recipient,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            headers=_headers(message.brand, message.kind, parameters),
            sent_at=now,
        )
    )
    delivery.mark_sent(message, sent=EmailStatus.SENT)
    message.subject = rendered.subject
    message.sent_at = now
    await uow.flush()
    return True


async def record_failure(
    uow: UnitOfWork, message_id: uuid.UUID, error: str, *, final: bool, attempts_max: int
) -> bool:
    """Count a failed attempt; the message fails for good when `final` (the relay refused
    it) or after `attempts_max` attempts. Returns whether it failed for good (no retry)."""
    return await delivery.record_failure(
        uow, EmailMessage, message_id, error, queued=EmailStatus.QUEUED,
        failed=EmailStatus.FAILED, final=final, attempts_max=attempts_max,
    )  # fmt: skip


async def record_bounce(uow: UnitOfWork, message_id: uuid.UUID, reason: str) -> bool:
    """The provider reports the sent message bounced. Returns False when there is no such
    sent message (unknown, never sent, or already bounced: a redelivered webhook)."""
    row = (
        await uow.session.execute(
            update(EmailMessage)
            .where(EmailMessage.id == message_id, EmailMessage.status == EmailStatus.SENT)
            .values(
                status=EmailStatus.BOUNCED,
                bounced_at=clock.now(),
                bounce_reason=reason[:BOUNCE_REASON_LENGTH_MAX],
            )
            .returning(EmailMessage.brand, EmailMessage.player_id)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        return False
    brand, player_id = row
    await emit(
        uow,
        EmailBounced(message_id=str(message_id), player_id=str(player_id) if player_id else None),
        brand=brand,
    )
    return True


def _headers(brand: str, kind: str, parameters: Mapping[str, Any]) -> dict[str, str]:
    headers = {"X-Stakehouse-Brand": brand, "X-Stakehouse-Kind": kind}
    unsubscribe = parameters.get("unsubscribe_url")
    if unsubscribe:
        # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe that POSTs here.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


async def deliver(
    database: Database,
    message_id: uuid.UUID,
    *,
    mailer: Mailer,
    render: Render,
    sender: Sender,
    attempts_max: int,
) -> Delivery:
    """One attempt at a queued message, as the worker makes it (a flow: it commits its own
    units of work). The send and its `sent` mark commit together; a failed send rolls back
    (its token with it) and is counted in a transaction of its own. `retry` says the
    caller should try again later (the relay may recover); a refusal (MailRejected) or the
    last attempt fails the message for good."""

    async def attempt_send(uow: UnitOfWork) -> bool:
        return await send(uow, message_id, mailer=mailer, render=render, sender=sender)

    async def record(uow: UnitOfWork, error: DomainError, final: bool) -> bool:
        return await record_failure(
            uow, message_id, error.message, final=final, attempts_max=attempts_max
        )

    return await delivery.attempt(
        database, send=attempt_send, record=record, unavailable=MailUnavailable,
        refused=MailRejected,
    )  # fmt: skip
