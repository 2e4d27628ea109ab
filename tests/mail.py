"""Helpers for tests about e-mail: what reached the dev SMTP server process."""

from __future__ import annotations

import re
from pathlib import Path

from tests.workers import eventually
from web.devmail import ReceivedMail, read_mailbox

_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")


async def mail_to(folder: Path, recipient: str, *, count: int = 1) -> list[ReceivedMail]:
    """Wait until `count` messages to `recipient` arrived; returns them, newest first."""

    async def arrived() -> bool:
        return len(_to(folder, recipient)) >= count

    await eventually(arrived, timeout_s=10)
    return _to(folder, recipient)


def _to(folder: Path, recipient: str) -> list[ReceivedMail]:
    return [mail for mail in read_mailbox(folder) if mail.recipient == recipient]


def link_token(mail: ReceivedMail) -> str:
    found = _TOKEN.search(mail.text)
    assert found, mail.text
    return found.group(1)
