"""E-mail end to end: a queued message commits an outbox event, the relay hands it to the
real Redis broker, a real dramatiq Worker runs `messaging.send_email`, which renders it for
the brand and locale and sends it over SMTP to the dev SMTP server process."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from domain.accounts.models import AccountToken, Player
from domain.brands.service import BrandRegistry
from domain.integrations.mail import SmtpMailer
from domain.kernel.db import Database
from domain.messaging import recovery
from domain.messaging.models import EmailMessage, EmailStatus
from tests.mail import link_token, mail_to
from tests.support import create_player
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from web import devmail
from web.devmail import read_mailbox
from workers.actors import broker, messaging
from workers.relay import relay_batch


async def queued_verification(
    db: Database, registry: BrandRegistry, *, locale: str = "en", brand: str = "aurora"
) -> tuple[str, uuid.UUID]:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    player_id = await create_player(db, registry, brand=brand, email=email)
    async with db.transaction() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        player.locale = locale
        message = await recovery.queue_verification(
            uow, player, origin=f"http://{brand}.localhost:8000"
        )
        assert message is not None
        return email, message.id


async def message_row(db: Database, message_id: uuid.UUID) -> EmailMessage:
    async with db.uow() as uow:
        message = await uow.session.get(EmailMessage, message_id)
        assert message is not None
        return message


async def test_a_queued_email_is_sent_over_smtp_in_the_players_language_and_brand_look(
    db: Database, registry: BrandRegistry, mailbox: Path
) -> None:
    email, message_id = await queued_verification(db, registry, locale="de")
    # The registration's event and the e-mail's.
    assert await relay_batch(db, limit=100) == 2

    async with running_worker(messaging.QUEUE):
        (mail,) = await mail_to(mailbox, email, db=db)

    aurora = registry.get("aurora")
    assert mail.brand == "aurora"
    assert mail.kind == "verify_email"
    assert mail.sender == f"{aurora.name} <no-reply@aurora.localhost>"
    assert mail.subject == f"Bestätigen Sie Ihre E-Mail-Adresse für {aurora.name}"
    assert mail.message_id == f"<{message_id}@aurora.localhost>"
    # The brand's look: its primary colour and name in the HTML part.
    assert aurora.tokens.colour.primary in mail.html
    assert "http://aurora.localhost:8000/verify-email?token=" in mail.text
    token = link_token(mail)
    assert f"/verify-email?token={token}" in mail.html
    sent = await message_row(db, message_id)
    assert (sent.status, sent.attempts, sent.subject) == (EmailStatus.SENT, 1, mail.subject)
    # Only the token's hash is kept.
    async with db.uow() as uow:
        (stored,) = await uow.session.scalars(select(AccountToken))
    assert token.encode() not in stored.token_hash


async def test_a_redelivered_event_sends_the_email_once(
    db: Database, registry: BrandRegistry, mailbox: Path
) -> None:
    email, message_id = await queued_verification(db, registry)
    await relay_batch(db, limit=100)
    sends = [
        message
        for message in queued_messages(messaging.QUEUE)
        if message.actor_name == messaging.SEND_EMAIL
    ]
    assert len(sends) == 1
    # At-least-once delivery: the broker may hand the same message over twice.
    broker.enqueue(sends[0])

    async with running_worker(messaging.QUEUE):
        await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=10_000)

    assert len([mail for mail in read_mailbox(mailbox) if mail.recipient == email]) == 1
    sent = await message_row(db, message_id)
    assert (sent.status, sent.attempts) == (EmailStatus.SENT, 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_relay_that_was_down_gets_the_message_on_the_brokers_retry(
    db: Database, registry: BrandRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The relay's address has nobody listening yet: the first attempt fails.
    port = free_port()
    monkeypatch.setattr(messaging, "mailer", lambda: SmtpMailer("127.0.0.1", port, timeout_s=2))
    email, message_id = await queued_verification(db, registry)
    await relay_batch(db, limit=100)

    async def attempted() -> bool:
        return (await message_row(db, message_id)).attempts >= 1

    async with running_worker(messaging.QUEUE):
        await eventually(attempted, timeout_s=10)
        failed_once = await message_row(db, message_id)
        # The relay comes up (a real SMTP server process); Dramatiq's retry delivers.
        relay = await asyncio.to_thread(devmail.start_process, "127.0.0.1", port, tmp_path)
        try:
            (mail,) = await mail_to(tmp_path, email, db=db)
        finally:
            devmail.stop_process(relay)

    assert (failed_once.status, failed_once.attempts) == (EmailStatus.QUEUED, 1)
    assert failed_once.last_error and "ConnectionRefusedError" in failed_once.last_error
    sent = await message_row(db, message_id)
    # Sent on a retry (how many failed before the relay was up depends on the backoff).
    assert (sent.status, sent.last_error) == (EmailStatus.SENT, None)
    assert sent.attempts >= 2
    assert mail.kind == "verify_email"
