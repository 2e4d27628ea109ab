"""The SMS port: send one text message through a provider, and learn its delivery status.

`HttpSmsProvider` speaks the Messages API shape most SMS providers offer (a form POST of
`To`, `From`, `Body` and `StatusCallback` to `<url>/Accounts/<account>/Messages.json`
with HTTP basic auth, answered with JSON carrying the provider's message id `sid` and a
`status`). A 4xx answer is a refusal that retrying cannot fix (SmsRejected); a 5xx, a
timeout or a broken connection may pass (SmsUnavailable).

`SandboxSms` is the built-in test provider: it "sends" by writing the message to a folder
that the dev SMS outbox page lists (web.smshooks), and answers like the real one.

Delivery status comes back by webhook, signed like the PSP's (HMAC-SHA256 over
`timestamp.body` in SMS_SIGNATURE, five-minute window, fail closed):
`{"sid": "<provider id>", "status": "delivered" | "failed" | "undelivered"}`.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

import httpx

from domain.integrations.psp import HmacSignatureScheme
from domain.kernel.errors import DomainError

CALL_TIMEOUT_S: Final = 10.0
ANSWER_BYTES_MAX: Final = 20_000
BODY_LENGTH_MAX: Final = 1_600  # ten concatenated segments
PROVIDER_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SMS_SIGNATURE: Final = HmacSignatureScheme(
    timestamp_header="X-Stakehouse-Sms-Timestamp",
    signature_header="X-Stakehouse-Sms-Signature",
)


class SmsUnavailable(DomainError):
    code = "SMS_UNAVAILABLE"
    message = "The SMS provider did not take the message; it will be tried again."


class SmsRejected(DomainError):
    code = "SMS_REJECTED"
    message = "The SMS provider refused the message."


@dataclass(frozen=True)
class OutgoingSms:
    reference: str  # ours: the message's id
    brand: str
    recipient: str  # E.164
    sender: str
    body: str
    status_callback: str | None


class SmsProvider(Protocol):
    async def send(self, sms: OutgoingSms) -> str:
        """The provider's id of the accepted message. Errors: SmsUnavailable, SmsRejected."""
        ...


class HttpSmsProvider:
    def __init__(
        self, url: str, account_id: str, auth_token: str, *, transport: Any = None
    ) -> None:
        self.endpoint = f"{url.rstrip('/')}/Accounts/{account_id}/Messages.json"
        self._auth = (account_id, auth_token)
        self._transport = transport

    async def send(self, sms: OutgoingSms) -> str:
        form = {"To": sms.recipient, "From": sms.sender, "Body": sms.body}
        if sms.status_callback:
            form["StatusCallback"] = sms.status_callback
        try:
            async with httpx.AsyncClient(
                timeout=CALL_TIMEOUT_S, transport=self._transport
            ) as client:
                response = await client.post(self.endpoint, data=form, auth=self._auth)
        except httpx.HTTPError as error:
            raise SmsUnavailable(f"{type(error).__name__}: {error}"[:300]) from None
        if 400 <= response.status_code < 500 and response.status_code != 429:
            raise SmsRejected(f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code not in (200, 201) or len(response.content) > ANSWER_BYTES_MAX:
            raise SmsUnavailable(f"HTTP {response.status_code}")
        try:
            sid = response.json().get("sid")
        except (ValueError, AttributeError):
            sid = None
        if not isinstance(sid, str) or not PROVIDER_ID_PATTERN.match(sid):
            raise SmsUnavailable("the answer carries no message id")
        return sid


@dataclass(frozen=True)
class SentSms:
    sid: str
    brand: str
    recipient: str
    sender: str
    body: str
    status_callback: str | None
    sent_at: str


class SandboxSms:
    """The built-in test provider: one JSON file per message in `folder`."""

    def __init__(self, folder: Path, now: datetime) -> None:
        self.folder = folder
        self.now = now

    async def send(self, sms: OutgoingSms) -> str:
        if not sms.recipient.startswith("+") or not sms.recipient[1:].isdigit():
            raise SmsRejected("not an E.164 number")
        sid = "SM" + uuid.uuid4().hex
        record = SentSms(
            sid=sid,
            brand=sms.brand,
            recipient=sms.recipient,
            sender=sms.sender,
            body=sms.body,
            status_callback=sms.status_callback,
            sent_at=self.now.isoformat(),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.now.strftime('%Y%m%dT%H%M%S%f')}-{sid}.json"
        path.write_text(json.dumps(asdict(record)), encoding="utf-8")
        return sid


def read_outbox(folder: Path, *, brand: str) -> list[SentSms]:
    """What the test provider sent for `brand`, newest first."""
    found = []
    for path in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
        try:
            record = SentSms(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            continue
        if record.brand == brand:
            found.append(record)
    return found
