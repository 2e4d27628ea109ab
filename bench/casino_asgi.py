"""The casino callback's transport ceiling: a minimal ASGI app that answers the signed `bet`
callback by running the raw phase's SQL (bench/casino_bet.py `raw_bet`), under the same
server (uvicorn, as `stakehouse serve` runs the app) and the same client as the real
callback. No framework, no middleware, no SQLAlchemy, no outbox relay: what is left is
HTTP, JSON, the signature and the two statements.

    python -m uvicorn bench.casino_asgi:create_app --factory   # (bench/casino_bet.py runs it)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain.brands.service import BrandRegistry
from domain.casino.protocol import WalletOperation, WalletRequest
from domain.casino.signatures import SIGNATURE_HEADER, provider_secrets, verify
from domain.kernel.db import plain_url
from domain.kernel.settings import get_settings

POOL_SIZE = 20  # as the app's (fixtures.app_server: STAKEHOUSE_DATABASE_POOL_SIZE=20)
BRAND = "aurora"

Scope = dict[str, Any]


def create_app() -> Any:
    # Here, not at the top: bench.casino_bet imports this module's neighbours.
    from bench.casino_bet import BetRefused, raw_bet  # noqa: PLC0415

    settings = get_settings()
    brand = BrandRegistry.load(settings.themes_dir).get(BRAND)
    state: dict[str, Any] = {}

    async def lifespan(receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["pool"] = await asyncpg.create_pool(
                    plain_url(str(settings.database_url)), min_size=2, max_size=POOL_SIZE
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await state["pool"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def body_of(receive: Any) -> bytes:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)

    async def answer(send: Any, status: int, reply: dict[str, Any]) -> None:
        content = json.dumps(reply).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(content)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        path: str = scope["path"]
        if path == "/livez":
            await answer(send, 200, {"status": "ok"})
            return
        parts = path.strip("/").split("/")  # providers/<provider>/wallet/bet
        body = await body_of(receive)
        headers = dict(scope["headers"])
        provider = parts[1]
        verify(
            provider_secrets(settings, provider),
            (headers.get(SIGNATURE_HEADER.lower().encode()) or b"").decode() or None,
            body,
            now=datetime.now(UTC),
        )
        fields = json.loads(body)
        request = WalletRequest(
            operation=WalletOperation.BET, request_uuid=fields["request_uuid"],
            token=fields["token"], user=fields["user"],
            transaction_uuid=fields["transaction_uuid"], round=fields["round"],
            game_code=fields["game_code"], amount_minor=int(fields["amount"]),
            currency=fields["currency"],
        )  # fmt: skip
        try:
            balance = await raw_bet(state["pool"], brand, provider, request)
        except BetRefused as refused:
            await answer(send, 200, {"status": "RS_ERROR_UNKNOWN", "reason": str(refused)})
            return
        await answer(
            send,
            200,
            {
                "status": "RS_OK",
                "request_uuid": request.request_uuid,
                "user": request.user,
                "currency": request.currency,
                "balance": balance,
            },
        )

    return app
