"""The Originals game server's client of the operator's seamless-wallet API, written as an
outside studio would write it: signed JSON over HTTP, a timeout on every call, and no
import of the operator's wallet or casino code.

    POST {operator}/providers/{provider}/wallet/{operation}
    X-Stakehouse-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

A reply with a status is definitive (the operator applied it, or refused it and changed
nothing). No reply, a 5xx or an unreadable body is `WalletUnavailable`: the outcome is
unknown, so a bet in that state is cancelled with a rollback, and a win is sent again with
the same transaction id (the operator applies each id once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from domain.kernel.settings import DEV_CASINO_PROVIDER_SECRET, Settings

PROVIDER = "stakehouse-originals"
SIGNATURE_HEADER = "X-Stakehouse-Signature"
BRAND_HEADER = "X-Stakehouse-Brand"
RS_OK = "RS_OK"


class WalletUnavailable(Exception):
    """The operator gave no definitive answer (timeout, connection, 5xx, garbage)."""


@dataclass(frozen=True)
class WalletAnswer:
    status: str
    balance_minor: int | None
    currency: str | None

    @property
    def ok(self) -> bool:
        return self.status == RS_OK


def provider_secret(settings: Settings, provider: str = PROVIDER) -> str | None:
    """A studio's signing secret: configured, or the public dev one outside production
    (this game server signs for the Originals and for the built-in demo studios)."""
    configured = settings.casino_provider_secrets.get(provider)
    if configured:
        return configured
    return None if settings.is_production else DEV_CASINO_PROVIDER_SECRET


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


class OperatorWallet:
    """One brand's wallet API, over an httpx client the caller owns (base URL, timeout)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        secret: str,
        brand: str,
        host: str | None,
        provider: str = PROVIDER,
    ) -> None:
        self.client = client
        self.provider = provider
        self.secret = secret
        self.brand = brand
        self.host = host

    async def call(self, operation: str, fields: dict[str, Any]) -> WalletAnswer:
        """Errors: WalletUnavailable."""
        body = json.dumps({"request_uuid": str(uuid.uuid4()), **fields}).encode()
        headers = {
            SIGNATURE_HEADER: sign(self.secret, int(time.time()), body),
            BRAND_HEADER: self.brand,
            "content-type": "application/json",
        }
        if self.host:
            headers["host"] = self.host
        try:
            response = await self.client.post(
                f"/providers/{self.provider}/wallet/{operation}", content=body, headers=headers
            )
        except httpx.HTTPError as error:
            raise WalletUnavailable(f"{operation}: {type(error).__name__}") from error
        if response.status_code >= 500:
            raise WalletUnavailable(f"{operation}: HTTP {response.status_code}")
        try:
            document = response.json()
            status = document["status"]
        except (ValueError, KeyError, TypeError):
            raise WalletUnavailable(f"{operation}: unreadable reply") from None
        if not isinstance(status, str):
            raise WalletUnavailable(f"{operation}: unreadable reply")
        balance = document.get("balance")
        currency = document.get("currency")
        return WalletAnswer(
            status,
            balance if type(balance) is int else None,
            currency if isinstance(currency, str) else None,
        )
