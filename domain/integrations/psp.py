"""The payment service provider (PSP) port: what the payments context needs from a PSP.

A provider opens deposits (a hosted step that returns a redirect URL, or a direct charge
whose outcome is known at once), requests payouts, and verifies the webhooks it sends.

Webhooks are signed the way most PSPs sign them (Stripe, Adyen, Checkout.com): an
HMAC-SHA256 with the provider's secret over `timestamp + "." + raw body`, the timestamp in
its own header so a captured request cannot be replayed later. Verification fails closed:
a missing or malformed header, a timestamp more than five minutes away from our clock
(either way) or a signature that matches no current secret is an InvalidWebhook, and the
caller must then change nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from domain.kernel.errors import DomainError
from domain.kernel.money import parse_minor_units

# A webhook whose timestamp is further than this from our clock is stale (or from the
# future) and refused: it bounds how long a captured request stays replayable.
WEBHOOK_TOLERANCE_S = 300
# Outbound calls to a PSP never wait longer than this (STYLE.md: a timeout on every call).
PSP_CALL_TIMEOUT_S = 10.0
REFERENCE_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
# Signatures are hex digests; a header carrying more than a few (secret rotation) is junk.
SIGNATURES_PER_HEADER_MAX = 5
WEBHOOK_BODY_MAX_BYTES = 64 * 1024

T = TypeVar("T")


class DepositFlow(StrEnum):
    # The player finishes on the PSP's page; the outcome arrives by webhook.
    HOSTED = "hosted"
    # The PSP charges at once (a stored method); the outcome is in the reply and a webhook.
    DIRECT = "direct"


class ProviderStatus(StrEnum):
    """What the PSP says about a deposit or a payout."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookSubject(StrEnum):
    DEPOSIT = "deposit"
    PAYOUT = "payout"


class InvalidWebhook(DomainError):
    """A webhook that is not provably from the provider, or no longer fresh."""

    code = "INVALID_SIGNATURE"
    message = "The webhook signature is missing, invalid or stale."


class MalformedWebhook(DomainError):
    """A correctly signed webhook whose body we cannot read (a provider bug, not an attack)."""

    code = "MALFORMED_WEBHOOK"
    message = "The webhook body is not a payment event this platform understands."


class UnknownProvider(DomainError):
    code = "UNKNOWN_PROVIDER"
    message = "No such payment provider."


class ProviderUnavailable(DomainError):
    code = "PROVIDER_UNAVAILABLE"
    message = "The payment provider did not answer. Try again with the same idempotency key."


@dataclass(frozen=True)
class DepositRequest:
    # Our payment id: the PSP's idempotency key, so a retried call opens nothing new.
    merchant_reference: str
    amount_minor: int
    currency: str
    brand: str
    player_reference: str
    flow: DepositFlow = DepositFlow.HOSTED
    return_url: str | None = None


@dataclass(frozen=True)
class DepositSession:
    reference: str
    # Where to send the player (hosted flow); None for a direct charge.
    redirect_url: str | None
    # A direct charge may already be final; a hosted session is always pending.
    status: ProviderStatus = ProviderStatus.PENDING
    failure_reason: str | None = None


@dataclass(frozen=True)
class PayoutRequest:
    merchant_reference: str
    amount_minor: int
    currency: str
    brand: str
    player_reference: str


@dataclass(frozen=True)
class PayoutResult:
    reference: str
    status: ProviderStatus
    failure_reason: str | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """A verified notification. The same event may arrive several times (same `event_id`)."""

    event_id: str
    subject: WebhookSubject
    status: ProviderStatus
    reference: str
    merchant_reference: str | None
    amount_minor: int
    currency: str
    occurred_at: datetime
    failure_reason: str | None = None


class PaymentProvider(Protocol):
    """A PSP adapter. Calls may be slow or fail: callers bound them with `call_provider`."""

    @property
    def name(self) -> str: ...

    async def create_deposit(self, request: DepositRequest) -> DepositSession:
        """Open a deposit. Idempotent on `merchant_reference`."""
        ...

    async def request_payout(self, request: PayoutRequest) -> PayoutResult:
        """Ask for a payout. Idempotent on `merchant_reference`."""
        ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """The event of a genuine, fresh webhook. Errors: InvalidWebhook, MalformedWebhook."""
        ...


async def call_provider(operation: Awaitable[T], *, timeout_s: float = PSP_CALL_TIMEOUT_S) -> T:
    """Await a PSP call within `timeout_s`; a timeout or a connection failure becomes
    ProviderUnavailable (the caller retries later under the same merchant reference)."""
    try:
        async with asyncio.timeout(timeout_s):
            return await operation
    except (TimeoutError, OSError):
        raise ProviderUnavailable() from None


@dataclass(frozen=True)
class HmacSignatureScheme:
    """`<signature_header>: v1=<hex>` (comma-separated while secrets rotate) over
    `<timestamp>.<raw body>`, with `<timestamp_header>: <unix seconds>`."""

    timestamp_header: str
    signature_header: str
    tolerance_s: int = WEBHOOK_TOLERANCE_S

    @staticmethod
    def signature(secret: bytes, timestamp: int, body: bytes) -> str:
        signed = str(timestamp).encode() + b"." + body
        return hmac.new(secret, signed, hashlib.sha256).hexdigest()

    def headers(self, secret: bytes, timestamp: int, body: bytes) -> dict[str, str]:
        return {
            self.timestamp_header: str(timestamp),
            self.signature_header: f"v1={self.signature(secret, timestamp, body)}",
        }

    def verify(
        self, secrets: Sequence[bytes], headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> None:
        """Return only for a fresh request signed with one of `secrets`; raise InvalidWebhook
        for anything else (fail closed)."""
        lowered = {key.lower(): value for key, value in headers.items()}
        timestamp_text = lowered.get(self.timestamp_header.lower(), "")
        signature_text = lowered.get(self.signature_header.lower(), "")
        if not secrets or not timestamp_text.isascii() or not timestamp_text.isdigit():
            raise InvalidWebhook()
        if len(timestamp_text) > 12 or len(body) > WEBHOOK_BODY_MAX_BYTES:
            raise InvalidWebhook()
        timestamp = int(timestamp_text)
        if abs(now.timestamp() - timestamp) > self.tolerance_s:
            raise InvalidWebhook()
        offered = [
            part.strip()[3:]
            for part in signature_text.split(",")[:SIGNATURES_PER_HEADER_MAX]
            if part.strip().startswith("v1=")
        ]
        expected = [self.signature(secret, timestamp, body) for secret in secrets]
        # compare_digest on every pair: no early exit that would time which one matched.
        matched = False
        for candidate in offered:
            for signature in expected:
                matched |= hmac.compare_digest(candidate.encode(), signature.encode())
        if not matched:
            raise InvalidWebhook()


def parse_event(body: bytes) -> WebhookEvent:
    """Read the JSON event shape shared by the built-in providers:

        {"id": "evt_…", "type": "deposit.succeeded" | "deposit.failed" | "deposit.pending"
                               | "payout.succeeded" | "payout.failed" | "payout.pending",
         "created": <unix seconds>,
         "data": {"reference": "…", "merchant_reference": "…", "amount_minor": 1000,
                  "currency": "EUR", "failure_reason": null}}

    Errors: MalformedWebhook.
    """
    try:
        document: Any = json.loads(body)
        subject_text, _, status_text = str(document["type"]).partition(".")
        data = document["data"]
        event = WebhookEvent(
            event_id=_text(document["id"]),
            subject=WebhookSubject(subject_text),
            status=ProviderStatus(status_text),
            reference=str(data["reference"]),
            merchant_reference=_optional_text(data.get("merchant_reference")),
            amount_minor=parse_minor_units(data["amount_minor"]),
            currency=_text(data["currency"]),
            occurred_at=datetime.fromtimestamp(_integer(document["created"]), UTC),
            failure_reason=_optional_text(data.get("failure_reason")),
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        raise MalformedWebhook() from None
    if not REFERENCE_PATTERN.match(event.reference) or event.amount_minor <= 0:
        raise MalformedWebhook()
    return event


def _integer(value: object) -> int:
    # bool is an int in Python; a PSP sending `true` as an amount is malformed.
    if type(value) is not int:
        raise TypeError("not an integer")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


# A PSP's ids and reasons are short printable text; NUL is what PostgreSQL cannot store.
_WEBHOOK_TEXT = re.compile(r"[^\x00-\x1f\x7f]{1,500}")


def _text(value: object) -> str:
    text = str(value)
    if not _WEBHOOK_TEXT.fullmatch(text):
        raise ValueError("not printable text of 1-500 characters")
    return text
