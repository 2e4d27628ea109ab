"""Sending and its failures, on the real database and real SMTP endpoints."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from domain.brands.service import BrandRegistry
from domain.integrations.mail import MailUnavailable, SmtpMailer
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.messaging import mail, recovery
from domain.messaging.models import EmailKind, EmailMessage, EmailStatus
from tests.conftest import REPO_ROOT
from tests.support import create_player, statements_of
from web.devmail import read_mailbox
from workers.mail import MailRenderer, sender_of


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def queued(db: Database, registry: BrandRegistry) -> uuid.UUID:
    async with db.transaction() as uow:
        message = await mail.queue(
            uow,
            brand="aurora",
            kind=EmailKind.PASSWORD_RESET_UNKNOWN,
            recipient=f"{uuid.uuid4().hex[:8]}@example.com",
            locale="en",
            parameters={"origin": "http://aurora.localhost"},
        )
        return message.id


async def attempt_with(
    db: Database, registry: BrandRegistry, message_id: uuid.UUID, mailer: SmtpMailer
) -> mail.Delivery:
    """One attempt, as the actor makes it."""
    return await mail.deliver(
        db,
        message_id,
        mailer=mailer,
        render=MailRenderer(registry, REPO_ROOT / "themes"),
        sender=sender_of(registry.get("aurora")),
        attempts_max=3,
    )


async def row(db: Database, message_id: uuid.UUID) -> EmailMessage:
    async with db.uow() as uow:
        found = await uow.session.get(EmailMessage, message_id)
        assert found is not None
        return found


async def test_an_unreachable_relay_keeps_the_message_queued_then_fails_it(
    db: Database, registry: BrandRegistry
) -> None:
    message_id = await queued(db, registry)
    down = SmtpMailer("127.0.0.1", closed_port(), timeout_s=2)

    first = await attempt_with(db, registry, message_id, down)
    assert (first.sent, first.retry) == (False, True)
    assert isinstance(first.error, MailUnavailable)
    after_one = await row(db, message_id)
    assert (after_one.status, after_one.attempts) == (EmailStatus.QUEUED, 1)
    assert after_one.last_error and "ConnectionRefusedError" in after_one.last_error

    await attempt_with(db, registry, message_id, down)
    last = await attempt_with(db, registry, message_id, down)
    assert (last.sent, last.retry) == (False, False)
    failed = await row(db, message_id)
    assert (failed.status, failed.attempts) == (EmailStatus.FAILED, 3)


async def test_a_message_that_recovers_is_sent_once_and_not_again(
    db: Database, registry: BrandRegistry, mailbox: Path
) -> None:
    message_id = await queued(db, registry)
    down = SmtpMailer("127.0.0.1", closed_port(), timeout_s=2)
    relay = SmtpMailer.from_settings(get_settings())

    await attempt_with(db, registry, message_id, down)
    assert (await attempt_with(db, registry, message_id, relay)).sent is True
    assert await attempt_with(db, registry, message_id, relay) == mail.Delivery(sent=False)

    sent = await row(db, message_id)
    assert (sent.status, sent.attempts, sent.last_error) == (EmailStatus.SENT, 2, None)
    assert len(read_mailbox(mailbox)) == 1


@pytest.mark.parametrize("known", [True, False])
async def test_a_reset_request_runs_the_same_statements_for_known_and_unknown_addresses(
    db: Database, registry: BrandRegistry, known: bool
) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    if known:
        await create_player(db, registry, email=email)

    async with db.transaction() as uow:
        with statements_of(db) as statements:
            await recovery.request_password_reset(
                uow, registry.get("aurora"), email, address="203.0.113.9", origin=""
            )

    # Same statements, in the same order, whether or not the address has an account.
    assert [statement.split()[0] for statement in statements] == [
        "SELECT",  # throttle lock (address)
        "SELECT",  # throttle lock (e-mail)
        "SELECT",  # throttle counts
        "INSERT",  # throttle rows
        "SELECT",  # the player
        "INSERT",  # the message
        "INSERT",  # its outbox event
    ]
