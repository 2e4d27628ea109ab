"""What every inbound webhook endpoint does before it knows whose webhook it is.

A provider's callback (PSP, KYC, odds feed, CRM, mail bounces, SMS status, the casino
aggregator) is read as raw bytes, because its signature covers the exact body, and is
refused past a size cap while it streams, so a hostile sender cannot make us buffer more
than the cap. Its typed refusals share one JSON shape, `{"error": {"code", "message"}}`,
and an endpoint whose callers sign is answered uncached, naming its realm on a 401.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.brands.service import Brand
from domain.integrations.psp import WEBHOOK_BODY_MAX_BYTES
from domain.kernel.db import Database
from domain.kernel.errors import DomainError

ProviderT = TypeVar("ProviderT")
ProviderT_contra = TypeVar("ProviderT_contra", contravariant=True)


class BodyTooLarge(DomainError):
    code = "BODY_TOO_LARGE"
    message = "Request body too large."


async def read_capped(request: Request, body_max_bytes: int) -> bytes | None:
    """The raw body, or None once it declares or streams more than `body_max_bytes`."""
    declared = request.headers.get("content-length", "")
    # Refused before reading a byte when the sender says outright that it is too large.
    if declared.isdigit() and int(declared) > body_max_bytes:
        return None
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > body_max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, body_max_bytes: int = WEBHOOK_BODY_MAX_BYTES) -> bytes:
    """`read_capped` for endpoints that answer refusals as domain errors.

    Errors: BodyTooLarge.
    """
    body = await read_capped(request, body_max_bytes)
    if body is None:
        raise BodyTooLarge()
    return body


def error_reply(status: int, code: str, message: str, **context: str | None) -> JSONResponse:
    """A typed refusal: `{"error": {"code", "message", **context}}` with the HTTP status.

    `context` carries what an endpoint's contract adds to the error (the CRM's `field`).
    """
    return JSONResponse({"error": {"code": code, "message": message, **context}}, status)


def body_too_large() -> JSONResponse:
    """The 413 every webhook answers past its cap."""
    return error_reply(413, BodyTooLarge.code, BodyTooLarge.message)


@dataclass(frozen=True)
class WebhookReply:
    """What a provider's webhook is answered, before it becomes HTTP (the test providers'
    hosted pages deliver in process and read it as it is)."""

    status: int
    body: dict[str, Any]


def refusal(error: DomainError, status_by_code: Mapping[str, int]) -> WebhookReply:
    """A refused delivery: the status its endpoint gives the error's code (400 when it
    lists none), and the typed error."""
    status = status_by_code.get(error.code, 400)
    return WebhookReply(status, {"error": {"code": error.code, "message": error.message}})


def signed_endpoint_reply(status: int, body: dict[str, Any], *, realm: str) -> JSONResponse:
    """The HTTP answer of an endpoint whose callers sign their requests: never cached, and
    a 401 names the signature `realm` that was not met."""
    headers = {"cache-control": "no-store"}
    if status == 401:
        headers["www-authenticate"] = f'Signature realm="{realm}"'
    return JSONResponse(body, status, headers=headers)


class Receiver(Protocol[ProviderT_contra]):
    """Verify and apply one delivery of a provider's webhook; what the endpoint answers."""

    async def __call__(
        self,
        db: Database,
        brand: Brand,
        provider: ProviderT_contra,
        *,
        headers: dict[str, str],
        body: bytes,
    ) -> WebhookReply: ...


def provider_webhook(
    provider_of: Callable[[str], ProviderT],
    receive: Receiver[ProviderT],
    *,
    status_by_code: Mapping[str, int],
    realm: str,
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint `POST …/{provider}` on a brand host: the provider the path names
    (`provider_of` refuses an unknown one), its raw body under the cap, then `receive`."""

    async def endpoint(request: Request) -> Response:
        try:
            provider = provider_of(request.path_params["provider"])
            body = await read_body(request)
        except DomainError as error:
            refused = refusal(error, status_by_code)
            return signed_endpoint_reply(refused.status, refused.body, realm=realm)
        state = request.scope["state"]
        reply = await receive(
            state["db"], state["brand"], provider, headers=dict(request.headers), body=body
        )
        return signed_endpoint_reply(reply.status, reply.body, realm=realm)

    return endpoint
