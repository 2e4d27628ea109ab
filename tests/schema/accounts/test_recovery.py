"""E-mail verification and password reset over GraphQL, with the e-mails sent by a real
worker through the real broker and the dev SMTP server process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from domain.accounts.models import AccountToken, AuthSession
from domain.kernel import clock
from domain.kernel.db import Database
from domain.messaging.models import EmailKind, EmailMessage
from tests.mail import link_token, mail_to
from tests.support import STRONG_PASSWORD, VIEWER, Api
from tests.workers import flushed_broker, running_worker  # noqa: F401 (autouse fixture)
from workers.actors import messaging

NEW_PASSWORD = "a brand new passphrase"

VERIFY = """
mutation Verify($input: VerifyEmailInput!) {
  verifyEmail(input: $input) { verified errors { code field message } }
}
"""
RESEND = "mutation { resendVerificationEmail { sent errors { code field message } } }"
REQUEST_RESET = """
mutation Request($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { accepted errors { code field message } }
}
"""
RESET = """
mutation Reset($input: ResetPasswordInput!) {
  resetPassword(input: $input) { reset errors { code field message } }
}
"""
VERIFIED = "query { viewer { player { emailVerified } } }"


@pytest.fixture(autouse=True)
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.com"


async def registered(api: Api) -> str:
    email = new_email()
    assert (await api.register(email=email))["errors"] == []
    return email


async def email_verified(api: Api) -> bool:
    result = await api.query(VERIFIED)
    return bool(result.data["viewer"]["player"]["emailVerified"])


async def test_the_registration_email_link_verifies_the_address_once(
    aurora: Api, mailbox: Path, db: Database
) -> None:
    email = await registered(aurora)
    await aurora.login(email)
    assert await email_verified(aurora) is False

    (mail,) = await mail_to(mailbox, email, db=db)
    token = link_token(mail)
    first = await aurora.query(VERIFY, {"input": {"token": token}})
    again = await aurora.query(VERIFY, {"input": {"token": token}})

    assert first.data["verifyEmail"] == {"verified": True, "errors": []}
    assert again.data["verifyEmail"]["errors"][0]["code"] == "INVALID_TOKEN"
    assert await email_verified(aurora) is True


async def test_a_token_of_one_brand_does_not_verify_on_another(
    aurora: Api, northstar: Api, mailbox: Path, db: Database
) -> None:
    email = await registered(aurora)
    (mail,) = await mail_to(mailbox, email, db=db)

    elsewhere = await northstar.query(VERIFY, {"input": {"token": link_token(mail)}})
    here = await aurora.query(VERIFY, {"input": {"token": link_token(mail)}})

    assert elsewhere.data["verifyEmail"]["errors"][0]["code"] == "INVALID_TOKEN"
    assert here.data["verifyEmail"]["verified"] is True


async def test_an_expired_token_is_refused(aurora: Api, mailbox: Path, db: Database) -> None:
    email = await registered(aurora)
    (mail,) = await mail_to(mailbox, email, db=db)
    async with db.transaction() as uow:
        await uow.session.execute(
            update(AccountToken).values(expires_at=clock.now() - timedelta(seconds=1))
        )

    result = await aurora.query(VERIFY, {"input": {"token": link_token(mail)}})

    assert result.data["verifyEmail"]["errors"][0]["code"] == "INVALID_TOKEN"


async def test_resending_the_verification_voids_the_older_link_and_is_throttled(
    aurora: Api, mailbox: Path, db: Database
) -> None:
    email = await registered(aurora)
    await aurora.login(email)
    (first,) = await mail_to(mailbox, email, db=db)

    sent = [(await aurora.query(RESEND)).data["resendVerificationEmail"] for _ in range(4)]

    assert [payload["sent"] for payload in sent] == [True, True, True, False]
    assert sent[3]["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    newest = (await mail_to(mailbox, email, count=4, db=db))[0]
    old = await aurora.query(VERIFY, {"input": {"token": link_token(first)}})
    assert old.data["verifyEmail"]["errors"][0]["code"] == "INVALID_TOKEN"
    new = await aurora.query(VERIFY, {"input": {"token": link_token(newest)}})
    assert new.data["verifyEmail"]["verified"] is True
    again = await aurora.query(RESEND)
    assert again.data["resendVerificationEmail"]["errors"][0]["code"] == ("EMAIL_ALREADY_VERIFIED")


async def test_a_password_reset_sets_the_password_and_ends_every_session(
    aurora: Api, server: str, mailbox: Path, db: Database
) -> None:
    email = await registered(aurora)
    await aurora.login(email)
    other_device = Api(server, aurora.host)
    await other_device.login(email)

    anonymous = Api(server, aurora.host)
    requested = await anonymous.query(REQUEST_RESET, {"input": {"email": email.upper()}})
    assert requested.data["requestPasswordReset"] == {"accepted": True, "errors": []}
    reset_mail = next(
        mail
        for mail in await mail_to(mailbox, email, count=2, db=db)
        if mail.kind == "password_reset"
    )
    token = link_token(reset_mail)

    weak = await anonymous.query(RESET, {"input": {"token": token, "newPassword": "short"}})
    assert weak.data["resetPassword"]["errors"][0] == {
        "code": "PASSWORD_TOO_SHORT",
        "field": "newPassword",
        "message": "Passwords need at least 10 characters.",
    }
    done = await anonymous.query(RESET, {"input": {"token": token, "newPassword": NEW_PASSWORD}})
    reused = await anonymous.query(RESET, {"input": {"token": token, "newPassword": NEW_PASSWORD}})

    assert done.data["resetPassword"] == {"reset": True, "errors": []}
    assert reused.data["resetPassword"]["errors"][0]["code"] == "INVALID_TOKEN"
    for device in (aurora, other_device):
        assert (await device.query(VIEWER)).data["viewer"] is None
    async with db.uow() as uow:
        live = await uow.session.scalar(
            select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_(None))
        )
    assert live == 0
    assert (await anonymous.login(email, STRONG_PASSWORD))["errors"][0]["code"] == (
        "INVALID_CREDENTIALS"
    )
    assert (await anonymous.login(email, NEW_PASSWORD))["errors"] == []
    await other_device.aclose()
    await anonymous.aclose()


async def test_an_unknown_address_gets_the_same_reply_and_the_same_work(
    aurora: Api, mailbox: Path, db: Database
) -> None:
    known = await registered(aurora)
    unknown = new_email()

    for_known = await aurora.post(
        {"query": REQUEST_RESET, "variables": {"input": {"email": known}}}
    )
    for_unknown = await aurora.post(
        {"query": REQUEST_RESET, "variables": {"input": {"email": unknown}}}
    )

    assert for_known.status_code == for_unknown.status_code == 200
    assert for_known.content == for_unknown.content
    (note,) = await mail_to(mailbox, unknown, db=db)
    assert note.kind == "password_reset_unknown"
    assert "token=" not in note.text
    async with db.uow() as uow:
        kinds = set(
            (await uow.session.execute(select(EmailMessage.recipient, EmailMessage.kind))).all()
        )
    assert kinds == {
        (known, EmailKind.VERIFY_EMAIL),
        (known, EmailKind.PASSWORD_RESET),
        (unknown, EmailKind.PASSWORD_RESET_UNKNOWN),
    }


async def test_reset_requests_are_throttled_per_address_alike_for_unknown_ones(
    aurora: Api,
) -> None:
    known = await registered(aurora)
    unknown = new_email()

    for email in (known, unknown):
        replies = [
            (await aurora.query(REQUEST_RESET, {"input": {"email": email}})).data[
                "requestPasswordReset"
            ]
            for _ in range(4)
        ]
        assert [reply["accepted"] for reply in replies] == [True, True, True, False]
        assert replies[3]["errors"][0]["code"] == "TOO_MANY_REQUESTS"


async def test_a_malformed_address_is_a_field_error(aurora: Api) -> None:
    result = await aurora.query(REQUEST_RESET, {"input": {"email": "not an address"}})

    assert result.data["requestPasswordReset"]["accepted"] is False
    assert result.data["requestPasswordReset"]["errors"][0]["field"] == "email"
