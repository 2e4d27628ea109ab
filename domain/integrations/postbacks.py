"""Affiliate postbacks as a port: a signed POST of a small JSON body to the affiliate's URL.

The body is signed with the affiliate's secret: `X-Stakehouse-Signature` is the hex
HMAC-SHA256 of `<timestamp>.<body>`, `X-Stakehouse-Timestamp` the Unix seconds, so the
receiver can refuse replays. Every call is bounded by a timeout; any answer but 2xx, a
timeout or a network error is a failed attempt that the caller retries later.

`SandboxPostbacks` is the built-in test receiver: it behaves like a remote one (it verifies
nothing for the sender but keeps what it received, answers 503 for a URL containing
`postback-down` and times out for `postback-slow`), so retries and signing are exercised
without a network.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

import httpx

POSTBACK_TIMEOUT_S: Final = 5.0


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Stakehouse-Timestamp": str(timestamp),
        "X-Stakehouse-Signature": signature(secret, timestamp, body),
    }


class PostbackFailed(Exception):
    """The affiliate's endpoint did not accept the postback (retried later)."""


class PostbackSender(Protocol):
    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Deliver or raise PostbackFailed."""


class HttpPostbacks:
    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        try:
            async with httpx.AsyncClient(timeout=POSTBACK_TIMEOUT_S) as client:
                answer = await client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as error:
            raise PostbackFailed(type(error).__name__) from None
        if not 200 <= answer.status_code < 300:
            raise PostbackFailed(f"HTTP {answer.status_code}")


@dataclass(frozen=True)
class Received:
    url: str
    body: bytes
    headers: Mapping[str, str]


@dataclass
class SandboxPostbacks:
    received: list[Received] = field(default_factory=list)
    delay_s: float = 0.0

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if "postback-slow" in url:
            raise PostbackFailed("ReadTimeout")
        if "postback-down" in url:
            raise PostbackFailed("HTTP 503")
        self.received.append(Received(url, body, dict(headers)))
