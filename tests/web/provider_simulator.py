"""A casino provider as our wallet sees it: it signs every callback with its secret and
fires them in any order, in duplicate and concurrently, like a real game server does."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from domain.casino.signatures import SIGNATURE_HEADER, signature_header
from domain.kernel.settings import DEV_CASINO_PROVIDER_SECRET

PROVIDER = "stakehouse-originals"
T = TypeVar("T")


@dataclass
class Reply:
    http_status: int
    body: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.body["status"])

    @property
    def balance(self) -> int | None:
        return self.body["balance"]


@dataclass
class ProviderSimulator:
    """One provider talking to one brand host, for one player's game session."""

    base_url: str
    token: str
    user: str
    game_code: str = "originals-dice"
    currency: str = "EUR"
    host: str = "aurora.localhost"
    provider: str = PROVIDER
    secret: str = DEV_CASINO_PROVIDER_SECRET
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"host": self.host},
            timeout=30,
            limits=httpx.Limits(max_connections=50),
        )

    def payload(self, operation: str, **fields: Any) -> dict[str, Any]:
        document: dict[str, Any] = {
            "request_uuid": str(uuid.uuid4()),
            "token": self.token,
            "user": self.user,
            "currency": self.currency,
        }
        if operation in ("bet", "win", "rollback"):
            document |= {"game_code": self.game_code, "round_closed": False}
        return document | fields

    def sign(self, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
        stamp = int(time.time()) if timestamp is None else timestamp
        return {
            SIGNATURE_HEADER: signature_header(self.secret, stamp, body),
            "content-type": "application/json",
        }

    async def send(
        self, operation: str, body: bytes, headers: dict[str, str] | None = None
    ) -> Reply:
        """Post exactly these bytes (signed by the caller, or not at all)."""
        response = await self.client.post(
            f"/providers/{self.provider}/wallet/{operation}", content=body, headers=headers
        )
        return Reply(response.status_code, response.json())

    async def call(self, operation: str, **fields: Any) -> Reply:
        body = json.dumps(self.payload(operation, **fields)).encode()
        return await self.send(operation, body, self.sign(body))

    async def authenticate(self) -> Reply:
        return await self.call("authenticate")

    async def balance(self) -> Reply:
        return await self.call("balance")

    async def bet(
        self, transaction: str, amount: int, round_id: str = "r1", **fields: Any
    ) -> Reply:
        return await self.call(
            "bet", transaction_uuid=transaction, amount=amount, round=round_id, **fields
        )

    async def win(
        self, transaction: str, bet: str, amount: int, round_id: str = "r1", **fields: Any
    ) -> Reply:
        return await self.call(
            "win",
            transaction_uuid=transaction,
            reference_transaction_uuid=bet,
            amount=amount,
            round=round_id,
            **fields,
        )

    async def rollback(
        self, transaction: str, bet: str, round_id: str = "r1", **fields: Any
    ) -> Reply:
        return await self.call(
            "rollback",
            transaction_uuid=transaction,
            reference_transaction_uuid=bet,
            round=round_id,
            **fields,
        )

    async def replay_signed(self, operation: str, body: bytes, times: int) -> list[Reply]:
        """The same signed bytes `times` times at once (a retry storm)."""
        headers = self.sign(body)
        return await asyncio.gather(*(self.send(operation, body, headers) for _ in range(times)))

    async def aclose(self) -> None:
        await self.client.aclose()


async def concurrently(*calls: Callable[[], Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*(call() for call in calls)))
