"""Helpers for the sportsbook API tests: a small book seeded through the domain models,
funded players signed in over the API, and graphql-transport-ws sockets with variables."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from typing import Any

import websockets
from strawberry.relay import from_base64, to_base64

from domain.kernel.db import Database
from domain.kernel.outbox import emit
from domain.sportsbook.feed.events import OddsChanged
from domain.sportsbook.models import Market, Outcome
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from tests.domain.sportsbook.support import BookMarket, add_market
from tests.support import Api

__all__ = ["BookMarket", "add_market"]

PROTOCOL = "graphql-transport-ws"


def gid(type_name: str, node_id: int) -> str:
    return to_base64(type_name, str(node_id))


def node_int(global_id: str) -> int:
    return int(from_base64(global_id)[1])


async def signed_in_bettor(
    server: str, host: str, db: Database, *, currency: str = "GBP", cash_minor: int = 100_00
) -> tuple[Api, uuid.UUID]:
    """An aurora player registered and signed in over the API, with cash in `currency`."""
    api = Api(server, host)
    email = f"bettor-{uuid.uuid4().hex[:8]}@example.com"
    registered = await api.register(email=email, country="MT", currency=currency)
    await api.login(email)
    player_id = uuid.UUID(from_base64(registered["player"]["id"])[1])
    async with db.transaction() as uow:
        source = await house_account_id(uow, "aurora", HouseAccountKind.PSP_CLEARING, currency)
        cash = await wallet_id(uow, "aurora", player_id, WalletKind.CASH, currency)
        await transfer(
            uow, brand="aurora", kind="deposit", source=source, destination=cash,
            amount_minor=cash_minor, scope=None, key=None,
        )  # fmt: skip
    return api, player_id


async def cash_of(db: Database, player_id: uuid.UUID) -> int:
    async with db.uow() as uow:
        return sum(
            b.amount_minor
            for b in await balances(uow, "aurora", player_id)
            if b.kind is WalletKind.CASH
        )


async def set_odds(db: Database, outcome_id: int, odds: str) -> None:
    async with db.transaction() as uow:
        (await uow.session.get_one(Outcome, outcome_id)).odds = Decimal(odds)


async def set_market_status(db: Database, market_id: int, status: str) -> None:
    async with db.transaction() as uow:
        (await uow.session.get_one(Market, market_id)).status = status


async def publish_odds(db: Database, market: BookMarket, key: str, odds: str) -> None:
    """A committed price change as the feed announces it (through the outbox)."""
    async with db.transaction() as uow:
        outcome = await uow.session.get_one(Outcome, market.outcomes[key])
        outcome.odds = Decimal(odds)
        row = {
            "outcome_id": outcome.id,
            "market_id": market.market_id,
            "odds": odds,
            "status": "active",
            "market_status": "active",
        }
        await emit(uow, OddsChanged(event_id=market.event_id, outcomes=[row]), brand=None)


async def subscribe(
    server: str, host: str, token: str | None, document: str, variables: dict[str, Any]
) -> Any:
    port = int(server.rsplit(":", 1)[1])
    socket = await websockets.connect(
        f"ws://{host}:{port}/graphql", subprotocols=[PROTOCOL], host="127.0.0.1", port=port
    )
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await socket.recv())["type"] == "connection_ack"
    message = {"query": document, "variables": variables}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
    return socket


async def next_raw(socket: Any, timeout_s: float) -> str | None:
    try:
        return str(await asyncio.wait_for(socket.recv(), timeout_s))
    except TimeoutError:
        return None
