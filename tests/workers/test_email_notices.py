"""Transactional notices: an outbox event of another context → a messaging actor queues the
e-mail (once per event) → the relay → `messaging.send_email` → the dev SMTP server
process. The relay is driven by hand here (the worker tests own it)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import func, select

from domain.accounts.events import PlayerStatusChanged
from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.outbox import emit
from domain.messaging.models import EmailMessage
from domain.payments.events import PaymentStatusChanged
from tests.support import create_player
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from web.devmail import ReceivedMail, read_mailbox
from workers.actors import broker, messaging
from workers.relay import relay_batch


async def player(db: Database, registry: BrandRegistry, locale: str) -> tuple[uuid.UUID, str]:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    player_id = await create_player(db, registry, email=email)
    async with db.transaction() as uow:
        found = await uow.session.get(Player, player_id)
        assert found is not None
        found.locale = locale
    return player_id, email


async def delivered(db: Database, mailbox: Path, email: str, kind: str) -> ReceivedMail:
    """Relay what the actors commit, until the e-mail of `kind` reached the SMTP server."""
    found: list[ReceivedMail] = []

    async def arrived() -> bool:
        await relay_batch(db, limit=100)
        found[:] = [
            mail for mail in read_mailbox(mailbox) if mail.recipient == email and mail.kind == kind
        ]
        return bool(found)

    await eventually(arrived, timeout_s=10)
    return found[0]


def payment(
    player_id: uuid.UUID, kind: str, before: str | None, after: str
) -> PaymentStatusChanged:
    return PaymentStatusChanged(
        payment_id=str(uuid.uuid4()),
        player_id=str(player_id),
        kind=kind,
        before=before,
        after=after,
        amount_minor=1234_50,
        currency="EUR",
    )


async def test_a_credited_deposit_gets_a_receipt_in_the_players_language(
    db: Database, registry: BrandRegistry, mailbox: Path
) -> None:
    player_id, email = await player(db, registry, "de")
    event = payment(player_id, "deposit", "pending", "succeeded")
    async with db.transaction() as uow:
        await emit(uow, event, brand="aurora")

    async with running_worker(messaging.QUEUE):
        mail = await delivered(db, mailbox, email, "deposit_receipt")

    assert mail.subject == "Ihre Einzahlung von 1.234,50\xa0€ bei Aurora Casino"
    assert f"Referenz: {event.payment_id}" in mail.text


async def test_withdrawals_get_a_receipt_when_requested_and_when_paid_in_swedish(
    db: Database, registry: BrandRegistry, mailbox: Path
) -> None:
    player_id, email = await player(db, registry, "sv")
    async with db.transaction() as uow:
        await emit(uow, payment(player_id, "withdrawal", None, "requested"), brand="aurora")
        await emit(uow, payment(player_id, "withdrawal", "requested", "approved"), brand="aurora")
        await emit(uow, payment(player_id, "withdrawal", "approved", "succeeded"), brand="aurora")

    async with running_worker(messaging.QUEUE):

        async def both() -> bool:
            await relay_batch(db, limit=100)
            return len([m for m in read_mailbox(mailbox) if m.recipient == email]) == 2

        await eventually(both, timeout_s=10)

    subjects = sorted(mail.subject for mail in read_mailbox(mailbox))
    assert subjects == [
        "Ditt uttag på 1\xa0234,50\xa0€ är utbetalt",
        "Vi har tagit emot din begäran om uttag på 1\xa0234,50\xa0€",
    ]


async def test_a_self_exclusion_is_confirmed_once_however_often_the_event_comes(
    db: Database, registry: BrandRegistry, mailbox: Path
) -> None:
    player_id, email = await player(db, registry, "en")
    async with db.transaction() as uow:
        await emit(
            uow,
            PlayerStatusChanged(player_id=str(player_id), before="active", after="self_excluded"),
            brand="aurora",
        )
    await relay_batch(db, limit=100)
    (sent,) = [
        message
        for message in queued_messages(messaging.QUEUE)
        if message.actor_name == messaging.EXCLUSION_CONFIRMATION
    ]
    broker.enqueue(sent)  # at-least-once delivery: the same event twice

    async with running_worker(messaging.QUEUE):
        mail = await delivered(db, mailbox, email, "self_exclusion_confirmation")
        await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=10_000)
        await relay_batch(db, limit=100)
        await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=10_000)

    assert mail.subject == "Your self-exclusion at Aurora Casino is in place"
    async with db.uow() as uow:
        queued = await uow.session.scalar(
            select(func.count())
            .select_from(EmailMessage)
            .where(EmailMessage.kind == "self_exclusion_confirmation")
        )
    assert queued == 1
    assert len([m for m in read_mailbox(mailbox) if m.recipient == email]) == 1


async def test_other_status_changes_send_nothing(
    db: Database, registry: BrandRegistry, mailbox: Path
) -> None:
    player_id, _ = await player(db, registry, "en")
    async with db.transaction() as uow:
        await emit(uow, payment(player_id, "deposit", "pending", "failed"), brand="aurora")
        await emit(
            uow,
            PlayerStatusChanged(player_id=str(player_id), before="active", after="suspended"),
            brand="aurora",
        )
    await relay_batch(db, limit=100)

    async with running_worker(messaging.QUEUE):
        await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=10_000)

    async with db.uow() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(EmailMessage))
    assert count == 0
