"""Affiliate postbacks as a port: a signed POST of a small JSON body to the affiliate's URL.

The body is signed with the affiliate's secret: `X-Stakehouse-Signature` is the hex
HMAC-SHA256 of `<timestamp>.<body>`, `X-Stakehouse-Timestamp` the Unix seconds, so the
receiver can refuse replays. Every call is bounded by a timeout; any answer but 2xx, a
timeout or a network error is a failed attempt that the caller retries later.

`SandboxPostbacks` is the built-in test receiver: it behaves like a remote one (it verifies
nothing for the sender but keeps what it received, answers 503 for a URL containing
`postback-down` and times out for `postback-slow`), so retries and signing are exercised
without a network.

Only public hosts are sent to: a URL whose host resolves to a private, loopback,
link-local, multicast, reserved or unspecified address is refused when it is set
(`allows`) and again at every send (the name may resolve elsewhere by then), so a
postback can never reach the platform's own network. The sandbox resolves nothing (it
reaches no one) and refuses only such literal addresses.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol
from urllib.parse import urlsplit

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


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Whether `address` is on the public internet (an IPv4-mapped IPv6 address is judged
    by its IPv4 one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified
    )  # fmt: skip


def _host(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.hostname if parts.scheme == "https" and parts.hostname else None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def resolves_publicly(url: str) -> bool:
    """Whether every address `url`'s host resolves to is public (False when it does not
    resolve)."""
    host = _host(url)
    if host is None:
        return False
    literal = _literal(host)
    if literal is not None:
        return is_public(literal)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found}
    return bool(addresses) and all(is_public(a) for a in addresses)


class PostbackSender(Protocol):
    async def allows(self, url: str) -> bool:
        """Whether postbacks may be sent to `url` (a public host)."""

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Deliver or raise PostbackFailed (also for a host that is not public)."""


class HttpPostbacks:
    async def allows(self, url: str) -> bool:
        return await resolves_publicly(url)

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        if not await resolves_publicly(url):
            raise PostbackFailed("not a public host")
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

    async def allows(self, url: str) -> bool:
        """Names are taken as they are (nothing is resolved or reached); a literal address
        must be public, as for the real sender."""
        host = _host(url)
        literal = _literal(host) if host is not None else None
        return host is not None and (literal is None or is_public(literal))

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        if not await self.allows(url):
            raise PostbackFailed("not a public host")
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if "postback-slow" in url:
            raise PostbackFailed("ReadTimeout")
        if "postback-down" in url:
            raise PostbackFailed("HTTP 503")
        self.received.append(Received(url, body, dict(headers)))
