"""Casino providers' seamless-wallet callbacks.

`POST /providers/{provider}/wallet/{authenticate|balance|bet|win|rollback}` on a brand host
(or the API host with `X-Stakehouse-Brand`). Fails closed: the raw body is read with a size
cap, and its signature (`X-Stakehouse-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256 over
`t.body` with the provider's secret, within 300 s) is verified before anything is parsed or
looked up. A refused request changes nothing.

    200  {"status": "RS_OK" | "RS_ERROR_…", "request_uuid", "user", "currency", "balance"}
    400  RS_ERROR_UNKNOWN            signed, but not a request we understand
    401  RS_ERROR_INVALID_SIGNATURE  not provably from the provider, or stale
    404  unknown operation
    413  RS_ERROR_UNKNOWN            body over the cap
    500  RS_ERROR_UNKNOWN            our fault: the provider retries, nothing was applied
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from domain.bonuses import abuse
from domain.brands.service import Brand
from domain.casino import service
from domain.casino.errors import (
    BonusMaxBetRefused,
    InvalidSignature,
    MalformedRequest,
    NotEnoughMoney,
    WalletError,
    WalletStatus,
)
from domain.casino.protocol import WalletOperation, WalletReply, WalletRequest, parse_request
from domain.casino.signatures import (
    BODY_MAX_BYTES,
    SIGNATURE_HEADER,
    secrets_by_provider,
    verify,
)
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.settings import Settings

log = logging.getLogger("stakehouse.providers")

SIGNATURE_HEADER_BYTES: Final = SIGNATURE_HEADER.lower().encode()

Handler = Callable[..., Awaitable[WalletReply]]
_HANDLERS: Final[dict[WalletOperation, Handler]] = {
    WalletOperation.AUTHENTICATE: service.authenticate,
    WalletOperation.BALANCE: service.balance,
    WalletOperation.BET: service.bet,
    WalletOperation.WIN: service.win,
    WalletOperation.ROLLBACK: service.rollback,
}


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    """The caller went away before its body arrived: nothing was verified or applied."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    """The raw body (the signature covers the exact bytes), refused past the cap."""
    declared = _header(scope, b"content-length") or ""
    if declared.isdigit() and int(declared) > BODY_MAX_BYTES:
        raise _BodyTooLarge()
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Disconnected()
        chunk: bytes = message.get("body", b"")
        received += len(chunk)
        if received > BODY_MAX_BYTES:
            raise _BodyTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_json(send: Send, http_status: int, body: dict[str, Any]) -> None:
    content = json.dumps(body, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": http_status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(content)),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


async def _reply(
    send: Send,
    http_status: int,
    status: WalletStatus,
    wallet_request: WalletRequest | None = None,
    *,
    currency: str | None = None,
    balance_minor: int | None = None,
) -> None:
    await _send_json(
        send,
        http_status,
        {
            "status": status.value,
            "request_uuid": wallet_request.request_uuid if wallet_request else None,
            "user": wallet_request.user if wallet_request else None,
            "currency": currency or (wallet_request.currency if wallet_request else None),
            "balance": balance_minor,
        },
    )


async def handle(
    db: Database, brand: Brand, provider: str, wallet_request: WalletRequest
) -> WalletReply:
    """Run one verified callback in its own transaction; a refusal rolls everything back
    (a refusal that must persist, a rollback's tombstone, is a reply, not an error)."""
    handler = _HANDLERS[wallet_request.operation]
    uow: UnitOfWork
    try:
        async with db.uow() as uow:
            reply = await handler(uow, brand=brand, provider=provider, request=wallet_request)
            await uow.commit()
    except NotEnoughMoney as error:
        return WalletReply(error.status, wallet_request.currency, error.balance_minor)
    except BonusMaxBetRefused as error:
        # Refused in the stake's own transaction (nothing moved); risk staff see it.
        await _flag_max_bet(db, brand, wallet_request)
        return WalletReply(error.status, wallet_request.currency)
    except WalletError as error:
        log.info("provider %s %s refused: %s", provider, wallet_request.operation, error.code)
        return WalletReply(error.status, wallet_request.currency)
    return reply


async def _flag_max_bet(db: Database, brand: Brand, wallet_request: WalletRequest) -> None:
    try:
        player_id = uuid.UUID(str(wallet_request.user))
    except ValueError:
        return
    await abuse.record_max_bet_refused(
        db, brand.slug, player_id, product="casino",
        stake_minor=int(wallet_request.amount_minor or 0),
    )  # fmt: skip


class ProviderWallet:
    """The callback endpoint as a bare ASGI callable (a Starlette `Route` runs it as it is):
    providers' game servers call it for every spin, so it builds no Request or Response
    objects around the few bytes it reads and answers. The app's middleware (request id,
    log context, metrics, brand, security headers, error page) still wraps it."""

    def __init__(self, settings: Settings) -> None:
        # Settings are fixed for the process's life: read the secrets once, not per callback.
        self.secrets = secrets_by_provider(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        provider: str = scope["path_params"]["provider"]
        try:
            operation = WalletOperation(scope["path_params"]["operation"])
        except ValueError:
            await _send_json(send, 404, {"error": "unknown operation"})
            return
        try:
            body = await _read_body(scope, receive)
        except _BodyTooLarge:
            await _reply(send, 413, WalletStatus.UNKNOWN)
            return
        except _Disconnected:
            return
        try:
            # Verified first: an unsigned body is never parsed or looked up.
            verify(
                self.secrets.get(provider, ()),
                _header(scope, SIGNATURE_HEADER_BYTES),
                body,
                now=clock.now(),
            )
        except InvalidSignature:
            log.warning("provider %s callback with an invalid signature", provider)
            await _reply(send, 401, WalletStatus.INVALID_SIGNATURE)
            return
        try:
            wallet_request = parse_request(operation, body)
        except MalformedRequest as error:
            log.warning("provider %s sent a malformed %s: %s", provider, operation, error.field)
            await _reply(send, 400, WalletStatus.UNKNOWN)
            return
        state = scope["state"]
        try:
            reply = await handle(state["db"], state["brand"], provider, wallet_request)
        except Exception:
            log.exception("provider %s %s failed", provider, operation)
            await _reply(send, 500, WalletStatus.UNKNOWN, wallet_request)
            return
        await _reply(
            send,
            200,
            reply.status,
            wallet_request,
            currency=reply.currency,
            balance_minor=reply.balance_minor,
        )


def provider_routes(settings: Settings) -> list[Route]:
    return [
        Route(
            "/providers/{provider}/wallet/{operation}",
            ProviderWallet(settings),
            methods=["POST"],
        )
    ]
