"""An outside CRM as a port: player events POSTed to the brand's CRM as signed JSON, and the
audience lists the CRM posts back, verified with the same secret.

Both directions are signed like the other webhooks here (CRM_SIGNATURE):
`X-Stakehouse-Crm-Timestamp: <unix seconds>` and
`X-Stakehouse-Crm-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`,
five-minute window. Each brand has its own URL and secret (`STAKEHOUSE_CRM_URLS`,
`STAKEHOUSE_CRM_SECRETS`); outside production a brand without a URL streams to the built-in
test receiver (`web/crm_receiver.py`) when `STAKEHOUSE_CRM_TEST_RECEIVER_URL` is set.

Every call is bounded by a timeout; any answer but 2xx, a timeout or a network error is a
failed attempt that the caller retries later. The URL comes from the operator's
configuration, never from a player or staff input, so it is not screened for private hosts
(the test receiver is local).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

import httpx

from domain.integrations.psp import HmacSignatureScheme
from domain.kernel.settings import DEV_CRM_SECRET, Settings

CRM_TIMEOUT_S: Final = 5.0
CRM_SIGNATURE: Final = HmacSignatureScheme(
    timestamp_header="X-Stakehouse-Crm-Timestamp",
    signature_header="X-Stakehouse-Crm-Signature",
)
# The personal data an event may carry, when the brand's configuration names it. Nothing
# else about a player ever leaves: by default an event names its player by id only.
CRM_PLAYER_FIELDS: Final = frozenset({"email", "username", "country", "locale", "currency"})


class CrmDeliveryFailed(Exception):
    """The CRM did not accept the event (retried later)."""


@dataclass(frozen=True)
class CrmEndpoint:
    url: str
    secret: bytes
    # Of CRM_PLAYER_FIELDS, sorted: what the brand's events say about the player.
    player_fields: tuple[str, ...]


def player_fields(settings: Settings, brand: str) -> tuple[str, ...]:
    configured = settings.crm_player_fields.get(brand, "")
    names = {name.strip() for name in configured.split("+") if name.strip()}
    # Unknown names are dropped rather than guessed at: only listed fields ever leave.
    return tuple(sorted(names & CRM_PLAYER_FIELDS))


def endpoint_for(settings: Settings, brand: str) -> CrmEndpoint | None:
    """Where the brand's events go, or None when it streams to no CRM."""
    url = settings.crm_urls.get(brand)
    secret = settings.crm_secrets.get(brand)
    if url is not None and secret is not None:
        return CrmEndpoint(url, secret.encode(), player_fields(settings, brand))
    if settings.is_production or settings.crm_test_receiver_url is None:
        return None
    receiver = settings.crm_test_receiver_url.rstrip("/")
    return CrmEndpoint(
        f"{receiver}/{brand}/events", DEV_CRM_SECRET.encode(), player_fields(settings, brand)
    )


def verify_audience(
    settings: Settings, brand: str, headers: Mapping[str, str], body: bytes, *, now: datetime
) -> None:
    """Return only for an audience list signed with the brand's CRM secret and fresh; raise
    InvalidWebhook otherwise (a brand with no CRM accepts none)."""
    endpoint = endpoint_for(settings, brand)
    CRM_SIGNATURE.verify([endpoint.secret] if endpoint is not None else [], headers, body, now=now)


class CrmSender(Protocol):
    async def send(self, endpoint: CrmEndpoint, body: bytes, *, timestamp: int) -> None:
        """Deliver one signed event or raise CrmDeliveryFailed."""


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs a new client ~0.2 s of CPU on a busy machine: once per
    # process, not once per event.
    return httpx.create_ssl_context()


class HttpCrm:
    async def send(self, endpoint: CrmEndpoint, body: bytes, *, timestamp: int) -> None:
        headers = {
            "Content-Type": "application/json",
            **CRM_SIGNATURE.headers(endpoint.secret, timestamp, body),
        }
        try:
            async with httpx.AsyncClient(timeout=CRM_TIMEOUT_S, verify=_tls()) as client:
                answer = await client.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise CrmDeliveryFailed(type(error).__name__) from None
        if not 200 <= answer.status_code < 300:
            raise CrmDeliveryFailed(f"HTTP {answer.status_code}")
