"""Provider callback signatures: HMAC-SHA256 with the provider's secret over
`<unix seconds>.<raw body>`, sent as

    X-Stakehouse-Signature: t=<unix seconds>,v1=<hex digest>[,v1=<hex digest>]

(several v1 values while a secret rotates). Verification fails closed: a missing or
malformed header, a timestamp more than TOLERANCE_S from our clock (either way), an unknown
provider or a digest that matches no secret is InvalidSignature, and nothing is parsed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from domain.casino.errors import InvalidSignature
from domain.integrations.aggregator import TEST_AGGREGATOR_STUDIOS
from domain.kernel.settings import DEV_CASINO_PROVIDER_SECRET, Settings

SIGNATURE_HEADER = "X-Stakehouse-Signature"
# Bounds how long a captured request stays replayable.
TOLERANCE_S = 300
# Wallet callbacks are a few hundred bytes; anything near this is not one.
BODY_MAX_BYTES = 16 * 1024
SIGNATURES_PER_HEADER_MAX = 5
# The demo providers' public secret (the Originals and the built-in aggregator's demo
# studios, all served by this platform's game server), accepted outside production only
# (production refuses to start with it configured, and never falls back to it).
_DEV_SECRETS = dict.fromkeys(
    ("stakehouse-originals", *TEST_AGGREGATOR_STUDIOS), DEV_CASINO_PROVIDER_SECRET
)


def provider_secrets(settings: Settings, provider: str) -> tuple[str, ...]:
    """The secrets a provider signs with (empty: an unknown provider, always refused)."""
    defaults = {} if settings.is_production else _DEV_SECRETS
    secret = settings.casino_provider_secrets.get(provider) or defaults.get(provider)
    return (secret,) if secret else ()


def secrets_by_provider(settings: Settings) -> dict[str, tuple[str, ...]]:
    """`provider_secrets` of every provider that has any, read once: a callback endpoint
    builds this at startup instead of reading settings per request (an unknown provider is
    absent: no secret, always refused)."""
    providers = set(settings.casino_provider_secrets)
    if not settings.is_production:
        providers |= set(_DEV_SECRETS)
    return {
        provider: secrets
        for provider in sorted(providers)
        if (secrets := provider_secrets(settings, provider))
    }


def digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


def verify(secrets: Sequence[str], header: str | None, body: bytes, *, now: datetime) -> None:
    """Return only for a fresh body signed with one of `secrets`. Errors: InvalidSignature."""
    if not secrets or not header or len(body) > BODY_MAX_BYTES or not header.isascii():
        raise InvalidSignature()
    parts = [part.strip() for part in header.split(",")[: SIGNATURES_PER_HEADER_MAX + 1]]
    timestamps = [part[2:] for part in parts if part.startswith("t=")]
    offered = [part[3:] for part in parts if part.startswith("v1=")]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or len(timestamps[0]) > 12:
        raise InvalidSignature()
    timestamp = int(timestamps[0])
    if abs(now.timestamp() - timestamp) > TOLERANCE_S:
        raise InvalidSignature()
    expected = [digest(secret, timestamp, body) for secret in secrets]
    # compare_digest on every pair: no early exit that would time which one matched.
    matched = False
    for candidate in offered:
        for signature in expected:
            matched |= hmac.compare_digest(candidate.encode(), signature.encode())
    if not matched:
        raise InvalidSignature()
