"""Feed producers that post over HTTP (web/feed.py): how their requests are signed and
with which secret.

The same scheme as the PSP webhooks (domain.integrations.psp.HmacSignatureScheme): an
HMAC-SHA256 over `timestamp + "." + raw body` with the producer's own secret, the
timestamp in its own header and at most five minutes from our clock, the producer named
in a third header so its secret is found before the body is read. Fails closed: no secret
for the producer, or any other doubt, is an InvalidWebhook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from domain.integrations.psp import HmacSignatureScheme, InvalidWebhook
from domain.kernel.settings import DEV_FEED_PRODUCER_SECRET, Settings

PRODUCER_HEADER = "X-Feed-Producer"
FEED_SIGNATURES = HmacSignatureScheme(
    timestamp_header="X-Feed-Timestamp", signature_header="X-Feed-Signature"
)
PRODUCER_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def producer_secret(settings: Settings, producer: str) -> bytes | None:
    """The producer's signing secret; None: this deployment takes nothing from it."""
    secret = settings.feed_producer_secrets.get(producer)
    if secret is None and not settings.is_production:
        secret = DEV_FEED_PRODUCER_SECRET
    return secret.encode() if secret is not None else None


def verify_producer_request(
    settings: Settings, headers: Mapping[str, str], body: bytes, *, now: datetime
) -> str:
    """The producer that signed this request. Errors: InvalidWebhook (unsigned, forged,
    stale, or from a producer without a secret)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    producer = lowered.get(PRODUCER_HEADER.lower(), "")
    if not PRODUCER_PATTERN.fullmatch(producer):
        raise InvalidWebhook()
    secret = producer_secret(settings, producer)
    FEED_SIGNATURES.verify([secret] if secret else [], headers, body, now=now)
    return producer


def signed_headers(producer: str, secret: bytes, body: bytes, *, now: datetime) -> dict[str, str]:
    """What a producer sends with `body` (the built-in test producer, the CLI)."""
    return {
        PRODUCER_HEADER: producer,
        **FEED_SIGNATURES.headers(secret, int(now.timestamp()), body),
    }
