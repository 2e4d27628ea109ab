"""Verifying the profile's mobile phone over GraphQL: the code goes out as a text message
through the SMS port (a real worker, the built-in test provider, the dev SMS outbox),
exists only in that message, is single use, is bound to the number it went to, and a few
wrong guesses stop the guessing; a changed number is unverified again."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from domain.kernel.db import Database
from domain.messaging.models import SmsMessage, SmsStatus
from tests.support import AURORA, Api
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (autouse)
from workers.actors import messaging

SEND = "mutation { sendPhoneVerificationCode { sent errors { code field } } }"
VERIFY = """
mutation Verify($input: VerifyPhoneInput!) {
  verifyPhone(input: $input) { verified errors { code field } }
}
"""
VIEWER = "query { viewer { player { profile { phone phoneVerified } } } }"
PROFILE = """
mutation Profile($input: UpdateProfileInput!) { updateProfile(input: $input) { errors { code } } }
"""


@pytest.fixture(autouse=True)
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


async def player(server: str, *, phone: str | None) -> Api:
    api = Api(server, AURORA)
    email = f"phone-{uuid.uuid4().hex[:8]}@example.com"
    assert (await api.register(email=email))["errors"] == []
    await api.login(email)
    if phone:
        await set_phone(api, phone)
    return api


async def set_phone(api: Api, phone: str) -> None:
    saved = await api.query(PROFILE, {"input": {"profile": {"phone": phone}}})
    assert saved.data["updateProfile"]["errors"] == []


async def shown(api: Api) -> dict[str, object]:
    return (await api.query(VIEWER)).data["viewer"]["player"]["profile"]  # type: ignore[no-any-return]


def new_phone() -> str:
    return f"+3567{random.randrange(10**7):07d}"


async def texted_code(server: str, db: Database, phone: str, count: int = 1) -> str:
    """The newest code the dev SMS outbox shows for the phone, once `count` were sent."""

    async def sent() -> bool:
        async with db.uow() as uow:
            statuses = (
                await uow.session.scalars(
                    select(SmsMessage.status).where(SmsMessage.recipient == phone)
                )
            ).all()
        return statuses.count(SmsStatus.SENT) == count

    await eventually(sent, timeout_s=10)
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        page = (await client.get("/dev/sms")).text
    bodies = re.findall(
        rf'<article class="sms" data-to="{re.escape(phone)}".*?<pre>(.*?)</pre>', page, re.DOTALL
    )
    assert len(bodies) == count
    found = re.search(r"Your Aurora Casino code is (\d{6})\. It expires in 10 minutes\.", bodies[0])
    assert found, bodies[0]
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def verify(api: Api, code: str) -> dict[str, object]:
    return (await api.query(VERIFY, {"input": {"code": code}})).data["verifyPhone"]  # type: ignore[no-any-return]


async def test_a_player_verifies_their_phone_with_the_texted_code_once(
    server: str, db: Database
) -> None:
    phone = new_phone()
    api = await player(server, phone=phone)
    before = await shown(api)

    assert (await api.query(SEND)).data["sendPhoneVerificationCode"] == {"sent": True, "errors": []}
    code = await texted_code(server, db, phone)
    refused = await verify(api, wrong(code))
    verified = await verify(api, code)
    again = await verify(api, code)
    after = await shown(api)
    resend = (await api.query(SEND)).data["sendPhoneVerificationCode"]
    other = new_phone()
    await set_phone(api, other)  # a new number is not verified by the old one's code
    changed = await shown(api)

    assert before == {"phone": phone, "phoneVerified": False}
    assert refused == {"verified": False, "errors": [{"code": "INVALID_CODE", "field": "code"}]}
    assert verified == {"verified": True, "errors": []}
    assert again["errors"] == [{"code": "PHONE_ALREADY_VERIFIED", "field": None}]
    assert after == {"phone": phone, "phoneVerified": True}
    assert resend["errors"] == [{"code": "PHONE_ALREADY_VERIFIED", "field": None}]
    assert changed == {"phone": other, "phoneVerified": False}
    async with db.uow() as uow:
        kept = (
            await uow.session.scalars(select(SmsMessage.body).where(SmsMessage.recipient == phone))
        ).all()
    assert kept == [None]  # the code is in the text message only, not in our rows
    await api.aclose()


async def test_a_new_code_voids_the_older_and_guessing_stops_after_a_few_tries(
    server: str, db: Database
) -> None:
    phone = new_phone()
    api = await player(server, phone=phone)
    await api.query(SEND)
    first = await texted_code(server, db, phone)
    await api.query(SEND)
    second = await texted_code(server, db, phone, count=2)

    voided = await verify(api, first) if first != second else {"errors": [{"code": "INVALID_CODE"}]}
    guesses = [await verify(api, wrong(second)) for _ in range(3)]
    # Five tries in all (the voided code was one): the right code now waits too.
    last_try = await verify(api, wrong(second))
    throttled = await verify(api, second)

    assert [error["code"] for error in voided["errors"]] == ["INVALID_CODE"]  # type: ignore[index]
    assert all(g["errors"] == [{"code": "INVALID_CODE", "field": "code"}] for g in guesses)
    assert last_try["errors"] == [{"code": "INVALID_CODE", "field": "code"}]
    assert throttled == {
        "verified": False, "errors": [{"code": "TOO_MANY_REQUESTS", "field": None}]
    }  # fmt: skip
    assert (await shown(api))["phoneVerified"] is False
    await api.aclose()


async def test_a_code_sent_to_a_number_since_changed_verifies_nothing(
    server: str, db: Database
) -> None:
    phone = new_phone()
    api = await player(server, phone=phone)
    await api.query(SEND)
    code = await texted_code(server, db, phone)
    other = new_phone()
    await set_phone(api, other)

    refused = await verify(api, code)

    assert refused["errors"] == [{"code": "INVALID_CODE", "field": "code"}]
    assert await shown(api) == {"phone": other, "phoneVerified": False}
    await api.aclose()


async def test_a_player_without_a_phone_number_gets_no_code(server: str) -> None:
    api = await player(server, phone=None)

    sent = (await api.query(SEND)).data["sendPhoneVerificationCode"]
    anonymous = await Api(server, AURORA).query(SEND)

    assert sent == {"sent": False, "errors": [{"code": "NO_PHONE_NUMBER", "field": None}]}
    assert anonymous.data["sendPhoneVerificationCode"]["errors"] == [
        {"code": "NOT_AUTHENTICATED", "field": None}
    ]
    await api.aclose()
