"""Helpers for tests about e-mail: what reached the dev SMTP server process."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from domain.kernel.db import Database
from domain.messaging.models import EmailMessage, EmailStatus
from tests.workers import eventually
from web.devmail import ReceivedMail, read_mailbox

_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")


async def mail_to(
    folder: Path, recipient: str, *, count: int = 1, db: Database | None = None
) -> list[ReceivedMail]:
    """Wait until `count` messages to `recipient` arrived; returns them, newest first. With
    `db`, also until their sending committed: the SMTP server has a message a moment before
    the worker commits it sent (and the token its link carries)."""

    async def arrived() -> bool:
        return len(_to(folder, recipient)) >= count and (
            db is None or await all_sent(db, recipient)
        )

    await eventually(arrived, timeout_s=10)
    return _to(folder, recipient)


async def all_sent(db: Database, recipient: str) -> bool:
    async with db.uow() as uow:
        waiting = await uow.session.scalar(
            select(func.count())
            .select_from(EmailMessage)
            .where(EmailMessage.recipient == recipient, EmailMessage.status == EmailStatus.QUEUED)
        )
    return waiting == 0


def _to(folder: Path, recipient: str) -> list[ReceivedMail]:
    return [mail for mail in read_mailbox(folder) if mail.recipient == recipient]


def link_token(mail: ReceivedMail) -> str:
    found = _TOKEN.search(mail.text)
    assert found, mail.text
    return found.group(1)
