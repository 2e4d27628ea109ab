"""The new-device sign-in notice, over GraphQL on the real server with a real worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.kernel.db import Database
from domain.messaging.models import EmailMessage
from tests.mail import mail_to
from tests.schema.accounts.test_connected_login import COMPLETE, LINK, sign_in_at_provider, start
from tests.support import LOGIN, STRONG_PASSWORD, Api
from tests.workers import flushed_broker, running_worker  # noqa: F401 (autouse fixture)
from workers.actors import broker, messaging

PHONE = "Mozilla/5.0 (Linux; Android 15) Mobile"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture(autouse=True)
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


async def sign_in(api: Api, email: str, user_agent: str) -> None:
    result = await api.query(
        LOGIN,
        {"input": {"identifier": email, "password": STRONG_PASSWORD}},
        headers={"user-agent": user_agent},
    )
    assert result.data["login"]["errors"] == []


async def kinds_sent_to(db: Database, email: str) -> list[str]:
    async with db.uow() as uow:
        return sorted(
            await uow.session.scalars(
                select(EmailMessage.kind).where(EmailMessage.recipient == email)
            )
        )


async def test_a_sign_in_from_a_new_device_sends_a_notice_and_a_known_one_does_not(
    aurora: Api, mailbox: Path, db: Database
) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    assert (await aurora.register(email=email))["errors"] == []

    await sign_in(aurora, email, PHONE)  # the first sign-in ever: no news
    await sign_in(aurora, email, PHONE)  # a device seen before
    await sign_in(aurora, email, LAPTOP)  # new

    notices = [
        mail for mail in await mail_to(mailbox, email, count=2) if mail.kind != "verify_email"
    ]
    (notice,) = notices
    assert notice.subject == "New sign-in to your Aurora Casino account"
    assert LAPTOP in notice.text
    assert "127.0.0.1" in notice.text
    await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=10_000)
    assert await kinds_sent_to(db, email) == ["new_device_sign_in", "verify_email"]


TABLET = "Mozilla/5.0 (iPad; CPU OS 19_0 like Mac OS X) Safari/605.1.15"


async def connected_answer(api: Api, email: str, user_agent: str) -> dict[str, Any]:
    """The player signs in at the test identity provider; the site completes it from the
    player's device (`user_agent`)."""
    parameters = await start(api)
    code = await sign_in_at_provider(api, parameters, email)
    result = await api.query(
        COMPLETE, {"input": {"state": parameters["state"], "code": code}},
        headers={"user-agent": user_agent},
    )  # fmt: skip
    return result.data["completeConnectedLogin"]  # type: ignore[no-any-return]


async def test_a_sign_in_through_connected_login_from_a_new_device_sends_the_same_notice(
    aurora: Api, mailbox: Path, db: Database
) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    assert (await aurora.register(email=email))["errors"] == []
    await sign_in(aurora, email, PHONE)  # the first sign-in ever: no news

    # Linking the provider proves the account with its password: a sign-in from the laptop.
    answer = await connected_answer(aurora, email, LAPTOP)
    ticket = answer["registration"]["ticket"]
    linked = await aurora.query(
        LINK, {"input": {"ticket": ticket, "password": STRONG_PASSWORD}},
        headers={"user-agent": LAPTOP},
    )  # fmt: skip
    assert linked.data["linkConnectedLogin"]["errors"] == []
    # Then signing in through the provider alone: from a tablet (new), and again (known).
    assert (await connected_answer(aurora, email, TABLET))["signedIn"] is True
    assert (await connected_answer(aurora, email, TABLET))["signedIn"] is True
    assert (await connected_answer(aurora, email, PHONE))["signedIn"] is True

    received = await mail_to(mailbox, email, count=3)
    notices = [mail for mail in received if mail.kind == "new_device_sign_in"]
    assert sorted(LAPTOP in mail.text or TABLET in mail.text for mail in notices) == [True, True]
    assert {TABLET in mail.text for mail in notices} == {True, False}
    assert all(mail.subject == "New sign-in to your Aurora Casino account" for mail in notices)
    await asyncio.to_thread(broker.join, messaging.QUEUE, timeout=10_000)
    assert await kinds_sent_to(db, email) == [
        "new_device_sign_in", "new_device_sign_in", "verify_email",
    ]  # fmt: skip


SET_LIMIT = """
mutation SetLimit($input: SetLimitInput!) {
  setLimit(input: $input) { limit { kind } errors { code field message } }
}
"""
REMOVE_LIMIT = """
mutation RemoveLimit($input: LimitChangeInput!) {
  removeLimit(input: $input) { limit { kind } errors { code field message } }
}
"""


async def test_limit_changes_are_confirmed_by_email_in_the_players_language(
    aurora: Api, mailbox: Path
) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    assert (await aurora.register(email=email, locale="de"))["errors"] == []
    await aurora.login(email)
    daily = {"kind": "DEPOSIT", "period": "DAY"}

    for document, variables in (
        (SET_LIMIT, {**daily, "amount": {"amount": "100.00", "currency": "EUR"}}),
        (SET_LIMIT, {**daily, "amount": {"amount": "250.00", "currency": "EUR"}}),
        (REMOVE_LIMIT, daily),
    ):
        result = await aurora.query(document, {"input": variables})
        assert next(iter(result.data.values()))["errors"] == []

    mails = await mail_to(mailbox, email, count=4)
    limits = sorted(mail.text for mail in mails if mail.kind == "limit_confirmation")
    assert len(limits) == 3
    assert {mail.subject for mail in mails if mail.kind == "limit_confirmation"} == {
        "Ihre Limits bei Aurora Casino"
    }
    assert any(
        "Einzahlungslimit: 100,00\xa0€ pro Tag, ab sofort gültig." in text for text in limits
    )
    assert any(
        "Sie haben eine Erhöhung auf 250,00\xa0€ pro Tag beantragt" in text for text in limits
    )
    assert any("Sie haben die Aufhebung beantragt" in text for text in limits)
