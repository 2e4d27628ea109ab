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
postback can never reach the platform's own network. A send resolves the name once,
checks every address it got, and connects to the first of those very addresses (the
name kept in the Host header and as the TLS server name, so the certificate is checked
against it): a name that answers a public address to the check and an internal one to
the connection (DNS rebinding) never gets the second look. Redirects are not followed.
The resolver is a parameter (the system's by default), so tests give their own. The
sandbox resolves nothing (it reaches no one) and refuses only such literal addresses.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol
from urllib.parse import urlsplit, urlunsplit

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


# A name's addresses for a port (the system resolver, or a test's).
Resolver = Callable[[str, int], Awaitable[list[Address]]]


async def system_resolver(host: str, port: int) -> list[Address]:
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


@dataclass(frozen=True)
class PinnedTarget:
    """Where a send connects: `url` names the checked address itself; `host` is the Host
    header and `server_name` the TLS server name (the URL's own host)."""

    url: str
    host: str
    server_name: str


async def pinned_target(url: str, resolver: Resolver = system_resolver) -> PinnedTarget | None:
    """`url` resolved once and pinned to its first address, or None when the URL is not
    https, does not resolve (within the timeout) or any of its addresses is not public."""
    host = _host(url)
    if host is None:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    literal = _literal(host)
    try:
        addresses = (
            [literal]
            if literal is not None
            else await asyncio.wait_for(resolver(host, port or 443), POSTBACK_TIMEOUT_S)
        )
    except (OSError, UnicodeError, TimeoutError, ValueError):
        return None
    if not addresses or not all(is_public(a) for a in addresses):
        return None
    chosen = addresses[0]
    suffix = f":{port}" if port is not None else ""
    address = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    named = f"[{host}]" if literal is not None and literal.version == 6 else host
    return PinnedTarget(
        url=urlunsplit(("https", address + suffix, parts.path or "/", parts.query, "")),
        host=named + suffix,
        server_name=host,
    )


async def resolves_publicly(url: str, resolver: Resolver = system_resolver) -> bool:
    """Whether every address `url`'s host resolves to is public (False when it does not
    resolve)."""
    return await pinned_target(url, resolver) is not None


class PostbackSender(Protocol):
    async def allows(self, url: str) -> bool:
        """Whether postbacks may be sent to `url` (a public host)."""

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Deliver or raise PostbackFailed (also for a host that is not public)."""


class HttpPostbacks:
    """The production sender: one httpx client for the instance's life (its TLS context
    and settings built once, not per send), bounded by POSTBACK_TIMEOUT_S on every phase
    of a call; `aclose` (or leaving `async with`) closes it at shutdown. Connections are
    not kept between sends: the pool is keyed by the pinned address, and a kept
    connection would carry one host's verified TLS session to another name on the same
    address."""

    def __init__(
        self,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.resolver = resolver
        # httpx's own transport by default; a test may hand its MockTransport.
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(POSTBACK_TIMEOUT_S),
                limits=httpx.Limits(max_keepalive_connections=0),
                transport=self.transport,
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the client (a later send opens a new one)."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> HttpPostbacks:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def allows(self, url: str) -> bool:
        return await resolves_publicly(url, self.resolver)

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        target = await pinned_target(url, self.resolver)
        if target is None:
            raise PostbackFailed("not a public host")
        try:
            answer = await self._http().post(
                target.url,
                content=body,
                headers={**headers, "Host": target.host},
                extensions={"sni_hostname": target.server_name},
            )
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
