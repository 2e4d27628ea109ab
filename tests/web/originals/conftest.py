"""A player of a demo brand with money in the cash wallet, the Originals launched for them
through the operator's own `launch`, and a browser-like client of the game pages."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.models import GameMode
from domain.casino.service import launch
from domain.kernel.db import Database
from tests.schema.wallets.support import fund, signed_in_player
from tests.support import AURORA, Api


class GameBrowser:
    """What the game iframe does: open the launch URL, then post plays with its key."""

    def __init__(self, server: str, host: str = AURORA) -> None:
        self.client = httpx.AsyncClient(base_url=server, headers={"host": host}, timeout=30)
        self.key: str | None = None

    async def open(self, launch_url: str) -> httpx.Response:
        launched = await self.client.get(launch_url)
        if launched.status_code != 303:
            return launched
        location = launched.headers["location"]
        self.key = re.search(r"session=([A-Za-z0-9_-]+)", location).group(1)  # type: ignore[union-attr]
        return await self.client.get(location)

    async def post(self, path: str, **fields: Any) -> httpx.Response:
        return await self.client.post(path, json={"session": self.key, **fields})

    async def play(self, **fields: Any) -> httpx.Response:
        return await self.post("/originals/api/play", **fields)

    async def aclose(self) -> None:
        await self.client.aclose()


@dataclass
class Player:
    api: Api
    player_id: uuid.UUID


async def funded_player(server: str, db: Database, cash_minor: int = 10_000) -> Player:
    """Registered and signed in over GraphQL; cash from the PSP clearing account."""
    api, player_id = await signed_in_player(server, AURORA, f"{uuid.uuid4().hex[:10]}@example.com")
    if cash_minor:
        await fund(db, player_id, cash_minor)
    return Player(api, player_id)


async def launch_url(
    db: Database, player_id: uuid.UUID, game: str, mode: GameMode = GameMode.REAL
) -> str:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora", "northstar"])
        launched = await launch(
            uow, brand="aurora", player_id=player_id, provider=ORIGINALS.code,
            game_code=game, mode=mode,
        )  # fmt: skip
    return launched.url


async def rows(db: Database, statement: str, **params: object) -> list[tuple[Any, ...]]:
    async with db.transaction() as uow:
        result = await uow.session.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []


CASH = "{ viewer { player { wallets { kind balance { amount currency } } } } }"


async def cash_balance(api: Api) -> str:
    wallets = (await api.query(CASH)).data["viewer"]["player"]["wallets"]
    return next(w["balance"]["amount"] for w in wallets if w["kind"] == "CASH")


@pytest.fixture
async def browser(server: str) -> AsyncIterator[GameBrowser]:
    game_browser = GameBrowser(server)
    yield game_browser
    await game_browser.aclose()


@pytest.fixture
async def player(server: str, db: Database) -> AsyncIterator[Player]:
    funded = await funded_player(server, db)
    yield funded
    await funded.api.aclose()
