"""The mail provider's bounce webhook and the dev mailbox page, over HTTP on the real
server; the mail itself went through the dev SMTP server process."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from domain.brands.service import BrandRegistry
from domain.integrations.mail import bounce_signature
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.kernel.settings import ConfigurationError, Environment, get_settings, load_settings
from domain.messaging.events import EmailBounced
from domain.messaging.models import EmailMessage, EmailStatus
from tests.mail import mail_to
from tests.support import AURORA, NORTHSTAR, Api
from tests.workers import flushed_broker, running_worker  # noqa: F401 (autouse fixture)
from web.app import create_app
from web.devmail import read_mailbox
from workers.actors import messaging

BOUNCES = "/callbacks/mail/bounces"


@pytest.fixture
async def client(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as found:
        yield found


async def sent_verification(aurora: Api, mailbox: Path, db: Database) -> EmailMessage:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    async with running_worker(messaging.QUEUE):
        assert (await aurora.register(email=email))["errors"] == []
        await mail_to(mailbox, email, db=db)
    async with db.uow() as uow:
        message = await uow.session.scalar(
            select(EmailMessage).where(EmailMessage.recipient == email)
        )
    assert message is not None and message.status == EmailStatus.SENT
    return message


def signed(body: bytes, *, secret: str | None = None, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    header = bounce_signature(secret or get_settings().mail_webhook_secret, timestamp, body)
    return {"x-stakehouse-signature": header, "content-type": "application/json"}


async def status_of(db: Database, message_id: uuid.UUID) -> str:
    async with db.uow() as uow:
        message = await uow.session.get(EmailMessage, message_id)
        assert message is not None
        return message.status


async def test_a_signed_bounce_marks_the_sent_message_bounced_once(
    aurora: Api, client: httpx.AsyncClient, mailbox: Path, db: Database
) -> None:
    message = await sent_verification(aurora, mailbox, db)
    body = json.dumps(
        {"messageId": f"<{message.id}@aurora.localhost>", "reason": "550 5.1.1 unknown"}
    ).encode()

    first = await client.post(BOUNCES, content=body, headers=signed(body))
    again = await client.post(BOUNCES, content=body, headers=signed(body))

    assert (first.status_code, first.json()) == (200, {"received": True, "applied": True})
    assert (again.status_code, again.json()) == (200, {"received": True, "applied": False})
    async with db.uow() as uow:
        bounced = await uow.session.get(EmailMessage, message.id)
        events = list(
            await uow.session.scalars(
                select(OutboxEvent).where(OutboxEvent.topic == EmailBounced.topic)
            )
        )
    assert bounced is not None
    assert (bounced.status, bounced.bounce_reason) == (EmailStatus.BOUNCED, "550 5.1.1 unknown")
    assert len(events) == 1


async def test_a_forged_or_stale_bounce_changes_nothing(
    aurora: Api, client: httpx.AsyncClient, mailbox: Path, db: Database
) -> None:
    message = await sent_verification(aurora, mailbox, db)
    body = json.dumps({"messageId": str(message.id), "reason": "forged"}).encode()

    forged = await client.post(BOUNCES, content=body, headers=signed(body, secret="x" * 32))
    stale = await client.post(
        BOUNCES, content=body, headers=signed(body, at=int(time.time()) - 600)
    )
    unsigned = await client.post(BOUNCES, content=body)
    tampered = await client.post(
        BOUNCES, content=body.replace(b"forged", b"forgee"), headers=signed(body)
    )

    for response in (forged, stale, unsigned, tampered):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert await status_of(db, message.id) == EmailStatus.SENT


async def test_a_signed_bounce_for_no_message_of_ours_is_malformed_or_not_applied(
    client: httpx.AsyncClient,
) -> None:
    garbage = b'{"messageId": 12}'
    unknown = json.dumps({"messageId": str(uuid.uuid4()), "reason": "x"}).encode()

    malformed = await client.post(BOUNCES, content=garbage, headers=signed(garbage))
    missing = await client.post(BOUNCES, content=unknown, headers=signed(unknown))

    assert (malformed.status_code, malformed.json()["error"]["code"]) == (
        400,
        "MALFORMED_WEBHOOK",
    )
    assert missing.json() == {"received": True, "applied": False}


async def test_the_dev_mailbox_lists_the_brands_mail_with_its_rendered_html(
    aurora: Api, server: str, mailbox: Path, db: Database, registry: BrandRegistry
) -> None:
    message = await sent_verification(aurora, mailbox, db)
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as site:
        listing = await site.get("/dev/mailbox")
        (key,) = [mail.key for mail in read_mailbox(mailbox)]
        rendered = await site.get(f"/dev/mailbox/{key}.html")
    async with httpx.AsyncClient(base_url=server, headers={"host": NORTHSTAR}) as other:
        other_listing = await other.get("/dev/mailbox")
        other_rendered = await other.get(f"/dev/mailbox/{key}.html")

    assert listing.status_code == 200
    assert message.recipient in listing.text
    assert "/verify-email?token=" in listing.text
    assert rendered.status_code == 200
    assert registry.get("aurora").tokens.colour.primary in rendered.text
    assert "sandbox" in rendered.headers["content-security-policy"]
    # Another brand's mailbox does not show it.
    assert message.recipient not in other_listing.text
    assert other_rendered.status_code == 404


def test_production_refuses_the_public_dev_mail_webhook_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STAKEHOUSE_ENV", "production")
    monkeypatch.setenv("STAKEHOUSE_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("STAKEHOUSE_PSP_WEBHOOK_SECRET", "whsec_" + "r" * 32)
    monkeypatch.setenv("STAKEHOUSE_UNSUBSCRIBE_SECRET", "unsubscribe_" + "u" * 32)
    monkeypatch.delenv("STAKEHOUSE_MAIL_WEBHOOK_SECRET", raising=False)

    with pytest.raises(ConfigurationError, match="STAKEHOUSE_MAIL_WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("STAKEHOUSE_MAIL_WEBHOOK_SECRET", "mail_" + "m" * 32)
    assert load_settings().mail_webhook_secret == "mail_" + "m" * 32


def test_production_has_no_dev_mailbox(registry: BrandRegistry) -> None:
    settings = get_settings().model_copy(
        update={"env": Environment.PRODUCTION, "secret_key": "x" * 32}
    )
    # No lifespan: the request must not reach anything.
    client = TestClient(create_app(settings, registry), base_url="http://aurora.localhost")

    assert client.get("/dev/mailbox").status_code == 404
