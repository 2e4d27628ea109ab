"""Text messages through the SMS port: the HTTP adapter posts to the test provider's
Messages API over real HTTP (the dev SMS outbox then lists the message); a job run twice
sends once; a refusal fails the message for good while an outage is retried and counted;
the provider's signed delivery-status webhook marks the message, once, and a forged or stale
one changes nothing. A real worker sends what the outbox relay hands it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from domain.integrations.sms import SMS_SIGNATURE, HttpSmsProvider, SmsUnavailable
from domain.kernel.db import Database
from domain.kernel.settings import DEV_SMS_WEBHOOK_SECRET, get_settings
from domain.messaging import sms
from domain.messaging.delivery import Delivery
from domain.messaging.models import SmsMessage, SmsStatus
from tests.support import AURORA, NORTHSTAR
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (autouse)
from workers.actors import messaging

SENDER = "Aurora"


class _ToServer(httpx.AsyncBaseTransport):
    """Sends every request to the test server with the given brand host in `Host`."""

    def __init__(self, server: str, host: str = AURORA) -> None:
        self.address = urlsplit(server)
        self.host = host
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme="http", host=self.address.hostname, port=self.address.port
        )
        request.headers["host"] = self.host
        return await self.inner.handle_async_request(request)


class _Answering(httpx.AsyncBaseTransport):
    """A provider that answers every request with `status` (and counts the requests)."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return httpx.Response(self.status, json={"message": "no"})


def provider(transport: httpx.AsyncBaseTransport) -> HttpSmsProvider:
    return HttpSmsProvider(
        f"https://{AURORA}/test-sms", "AC-test-account", "test-token", transport=transport
    )


async def queued(
    db: Database, phone: str = "+356 9912 3456", body: str = "Your code: 123456"
) -> uuid.UUID:
    async with db.transaction() as uow:
        message = await sms.queue(uow, brand="aurora", recipient=phone, body=body)
        return message.id


async def stored(db: Database, message_id: uuid.UUID) -> SmsMessage:
    async with db.uow() as uow:
        message = await uow.session.get(SmsMessage, message_id)
        assert message is not None
        uow.session.expunge(message)
        return message


async def deliver(
    db: Database, message_id: uuid.UUID, transport: httpx.AsyncBaseTransport
) -> Delivery:
    return await sms.deliver(
        db,
        message_id,
        provider=provider(transport),
        sender=SENDER,
        status_callback=f"https://{AURORA}/callbacks/sms/status",
        attempts_max=3,
    )


async def outbox(server: str, host: str = AURORA) -> str:
    async with httpx.AsyncClient(base_url=server, headers={"host": host}) as client:
        return (await client.get("/dev/sms")).text


async def test_a_message_goes_through_the_http_adapter_once_and_shows_in_the_dev_outbox(
    db: Database, server: str
) -> None:
    body = f"Your code: {uuid.uuid4().hex[:6]}"
    message_id = await queued(db, body=body)

    first = await deliver(db, message_id, _ToServer(server))
    again = await deliver(db, message_id, _ToServer(server))

    assert (first.sent, again.sent) == (True, False)
    message = await stored(db, message_id)
    assert message.status == SmsStatus.SENT and message.provider_id
    assert (message.recipient, message.attempts) == ("+35699123456", 1)
    page = await outbox(server)
    assert page.count(body) == 1
    assert f'data-sid="{message.provider_id}"' in page
    assert body not in await outbox(server, NORTHSTAR)  # another brand's outbox


async def test_a_refusal_fails_the_message_and_an_outage_is_retried_until_the_last_attempt(
    db: Database,
) -> None:
    refused_id, down_id = await queued(db), await queued(db)

    refused = await deliver(db, refused_id, _Answering(400))
    assert (refused.sent, refused.retry) == (False, False)
    assert (await stored(db, refused_id)).status == SmsStatus.FAILED

    outage = _Answering(503)
    attempts = [await deliver(db, down_id, outage) for _ in range(3)]
    assert [a.retry for a in attempts] == [True, True, False]
    assert all(isinstance(a.error, SmsUnavailable) for a in attempts)
    message = await stored(db, down_id)
    assert (message.status, message.attempts, message.last_error) == (
        SmsStatus.FAILED,
        3,
        "HTTP 503",
    )
    assert (await deliver(db, down_id, outage)).sent is False
    assert outage.requests == 3  # a failed message is never sent again


def signed(body: bytes, *, secret: str = DEV_SMS_WEBHOOK_SECRET, age_s: int = 0) -> dict[str, str]:
    return {
        "content-type": "application/json",
        **SMS_SIGNATURE.headers(secret.encode(), int(time.time()) - age_s, body),
    }


async def test_the_signed_status_webhook_marks_delivery_once_and_refuses_forgeries(
    db: Database, server: str
) -> None:
    message_id = await queued(db)
    await deliver(db, message_id, _ToServer(server))
    sid = (await stored(db, message_id)).provider_id
    body = json.dumps({"sid": sid, "status": "delivered"}).encode()

    # To the brand's host, as the status callback the message carried names it.
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        forged = await client.post(
            "/callbacks/sms/status", content=body, headers=signed(body, secret="x" * 32)
        )
        stale = await client.post(
            "/callbacks/sms/status", content=body, headers=signed(body, age_s=3600)
        )
        assert (forged.status_code, stale.status_code) == (401, 401)
        assert (await stored(db, message_id)).status == SmsStatus.SENT

        applied = await client.post("/callbacks/sms/status", content=body, headers=signed(body))
        assert applied.json() == {"received": True, "applied": True}
        failed = json.dumps({"sid": sid, "status": "failed"}).encode()
        late = await client.post("/callbacks/sms/status", content=failed, headers=signed(failed))
        assert late.json() == {"received": True, "applied": False}

    message = await stored(db, message_id)
    assert message.status == SmsStatus.DELIVERED and message.status_at is not None


@pytest.fixture
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


@pytest.mark.usefixtures("worker")
async def test_a_worker_sends_a_queued_message_through_the_test_provider(
    db: Database, server: str
) -> None:
    body = f"Welcome! {uuid.uuid4().hex[:6]}"
    message_id = await queued(db, body=body)

    async def sent() -> bool:
        return (await stored(db, message_id)).status == SmsStatus.SENT

    await eventually(sent, timeout_s=10)
    assert body in await outbox(server)
    assert get_settings().sms_provider_url is None  # the built-in test provider sent it
