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

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

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
from web.webhooks import read_capped

log = logging.getLogger("stakehouse.providers")

Handler = Callable[..., Awaitable[WalletReply]]
_HANDLERS: Final[dict[WalletOperation, Handler]] = {
    WalletOperation.AUTHENTICATE: service.authenticate,
    WalletOperation.BALANCE: service.balance,
    WalletOperation.BET: service.bet,
    WalletOperation.WIN: service.win,
    WalletOperation.ROLLBACK: service.rollback,
}


def _reply(
    http_status: int,
    status: WalletStatus,
    wallet_request: WalletRequest | None = None,
    *,
    currency: str | None = None,
    balance_minor: int | None = None,
) -> Response:
    body: dict[str, Any] = {
        "status": status.value,
        "request_uuid": wallet_request.request_uuid if wallet_request else None,
        "user": wallet_request.user if wallet_request else None,
        "currency": currency or (wallet_request.currency if wallet_request else None),
        "balance": balance_minor,
    }
    return JSONResponse(body, http_status, headers={"cache-control": "no-store"})


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


def _endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    # Settings are fixed for the process's life: read the secrets once, not per callback.
    secrets = secrets_by_provider(settings)

    async def provider_wallet(request: Request) -> Response:
        provider = request.path_params["provider"]
        try:
            operation = WalletOperation(request.path_params["operation"])
        except ValueError:
            return JSONResponse({"error": "unknown operation"}, 404)
        body = await read_capped(request, BODY_MAX_BYTES)
        if body is None:
            return _reply(413, WalletStatus.UNKNOWN)
        try:
            # Verified first: an unsigned body is never parsed or looked up.
            verify(
                secrets.get(provider, ()),
                request.headers.get(SIGNATURE_HEADER),
                body,
                now=clock.now(),
            )
        except InvalidSignature:
            log.warning("provider %s callback with an invalid signature", provider)
            return _reply(401, WalletStatus.INVALID_SIGNATURE)
        try:
            wallet_request = parse_request(operation, body)
        except MalformedRequest as error:
            log.warning("provider %s sent a malformed %s: %s", provider, operation, error.field)
            return _reply(400, WalletStatus.UNKNOWN)
        state = request.scope["state"]
        try:
            reply = await handle(state["db"], state["brand"], provider, wallet_request)
        except Exception:
            log.exception("provider %s %s failed", provider, operation)
            return _reply(500, WalletStatus.UNKNOWN, wallet_request)
        return _reply(
            200,
            reply.status,
            wallet_request,
            currency=reply.currency,
            balance_minor=reply.balance_minor,
        )

    return provider_wallet


def provider_routes(settings: Settings) -> list[Route]:
    return [
        Route("/providers/{provider}/wallet/{operation}", _endpoint(settings), methods=["POST"])
    ]
