"""Support's reply to a player who is not following the chat: it reaches their inbox and,
through the mail queue, a real SMTP server as an e-mail in the player's language with the
reply and a link back; while a live connection is open the reply arrives there and no
e-mail is sent; closing the connection makes the player away again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.accounts.models import Player
from domain.kernel.db import Database
from domain.messaging import chat
from domain.messaging.models import EmailMessage
from tests.mail import mail_to
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.messaging.test_chat import PLAYER_FEED, REPLY, SEND, _next
from tests.schema.sportsbook.support import subscribe
from tests.support import AURORA, Api
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (autouse)
from workers.actors import broker, messaging

INBOX = "query { viewer { player { inbox { kind subject body } } } }"


@pytest.fixture(autouse=True)
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


async def player(server: str, locale: str = "en") -> tuple[Api, str]:
    api = Api(server, AURORA)
    email = f"away-{uuid.uuid4().hex[:8]}@example.com"
    assert (await api.register(email=email, locale=locale))["errors"] == []
    await api.login(email)
    return api, email


async def agent(server: str, db: Database) -> Api:
    return await signed_in_staff(
        Api(server, AURORA), db, f"agent-{uuid.uuid4().hex[:6]}@op.example", ["support"], ["aurora"]
    )


async def writes(customer: Api, body: str) -> str:
    sent = (await customer.query(SEND, {"input": {"body": body}})).data["sendSupportMessage"]
    assert sent["errors"] == []
    return str(sent["conversation"]["id"])


async def replies(staff: Api, conversation_id: str, body: str) -> None:
    replied = await staff.query(REPLY, {"input": {"conversationId": conversation_id, "body": body}})
    assert replied.data["replyToSupportConversation"]["errors"] == []


async def reply_mails(db: Database, email: str) -> list[dict[str, Any]]:
    """The support-reply e-mails queued for the address, oldest first, once every queued
    e-mail was handled."""
    await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=10_000)
    async with db.uow() as uow:
        found = await uow.session.scalars(
            select(EmailMessage.parameters)
            .where(EmailMessage.recipient == email, EmailMessage.kind == "support_reply")
            .order_by(EmailMessage.created_at)
        )
        return list(found.all())


async def present(db: Database, email: str) -> bool:
    async with db.uow() as uow:
        player_id = await uow.session.scalar(select(Player.id).where(Player.email == email))
        assert player_id is not None
        return await chat.is_present(uow, player_id)


async def test_a_reply_to_a_player_away_reaches_the_inbox_and_an_email_not_when_connected(
    server: str, db: Database, mailbox: Path
) -> None:
    customer, email = await player(server)
    staff = await agent(server, db)

    conversation_id = await writes(customer, "Where is my withdrawal?")
    await replies(staff, conversation_id, "It was paid this morning.\n\nAnything else?")

    (mail,) = [m for m in await mail_to(mailbox, email, count=2) if m.kind == "support_reply"]
    text = mail.text.replace("\r\n", "\n")  # lines end in CRLF on the wire
    assert mail.subject == "Aurora Casino support answered you"
    assert "It was paid this morning.\n\nAnything else?" in text
    assert "Support answered your message while you were away:" in text
    link = text.split("Read the conversation and answer:\n", 1)[1].split("\n", 1)[0]
    assert link.endswith("/support")
    assert "It was paid this morning." in mail.html

    # Following the chat live: the reply arrives there, the inbox still has its notice,
    # and no e-mail is sent.
    feed = await subscribe(server, AURORA, customer.token, PLAYER_FEED, {})
    await writes(customer, "Thanks, one more question.")
    assert (await _next(feed))["mySupportConversationChanged"]["message"]["fromSupport"] is False
    assert await present(db, email)
    await replies(staff, conversation_id, "Go ahead.")
    live = (await _next(feed))["mySupportConversationChanged"]["message"]
    assert live == {"body": "Go ahead.", "fromSupport": True}
    assert [m["reply"] for m in await reply_mails(db, email)] == [
        "It was paid this morning.\n\nAnything else?"
    ]

    # The connection closes: away again, so the next reply goes by e-mail too.
    await feed.close()

    async def away() -> bool:
        return not await present(db, email)

    await eventually(away, timeout_s=5)
    await writes(customer, "Sorry, I had to go. Still there?")
    await replies(staff, conversation_id, "Yes, still here.")
    assert [m["reply"] for m in await reply_mails(db, email)] == [
        "It was paid this morning.\n\nAnything else?",
        "Yes, still here.",
    ]
    inbox = (await customer.query(INBOX)).data["viewer"]["player"]["inbox"]
    assert [m["subject"] for m in inbox if m["kind"] == "support_reply"] == ["Support replied"] * 3
    await customer.aclose()
    await staff.aclose()


async def test_a_german_player_gets_the_notice_and_the_email_in_german(
    server: str, db: Database, mailbox: Path
) -> None:
    customer, email = await player(server, "de")
    staff = await agent(server, db)

    conversation_id = await writes(customer, "Wo ist meine Auszahlung?")
    await replies(staff, conversation_id, "Sie wurde heute Morgen bezahlt.")

    (mail,) = [m for m in await mail_to(mailbox, email, count=2) if m.kind == "support_reply"]
    assert mail.subject == "Der Support von Aurora Casino hat Ihnen geantwortet"
    assert "Sie wurde heute Morgen bezahlt." in mail.text
    assert "Lesen Sie das Gespräch und antworten Sie:" in mail.text
    inbox = (await customer.query(INBOX)).data["viewer"]["player"]["inbox"]
    assert [(m["subject"], m["body"]) for m in inbox if m["kind"] == "support_reply"] == [
        (
            "Antwort vom Support",
            "Der Support hat Ihre Nachricht beantwortet. Öffnen Sie Support, um sie zu lesen.",
        )
    ]
    await customer.aclose()
    await staff.aclose()
