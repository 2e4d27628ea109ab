"""A funded player with a real-money game session, and a provider simulator for it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.service import launch
from domain.kernel.db import Database
from domain.wallets import invariants
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from tests.support import create_player
from tests.web.provider_simulator import ProviderSimulator

BRAND = "aurora"
GAME = "originals-dice"


@dataclass(frozen=True)
class GamePlayer:
    player_id: uuid.UUID
    token: str


async def fund(db: Database, player_id: uuid.UUID, wallet: WalletKind, amount: int) -> None:
    async with db.transaction() as uow:
        source = await house_account_id(uow, BRAND, HouseAccountKind.BONUS_POOL, "EUR")
        destination = await wallet_id(uow, BRAND, player_id, wallet, "EUR")
        await transfer(
            uow, brand=BRAND, kind="fund", source=source, destination=destination,
            amount_minor=amount, scope=None, key=None,
        )  # fmt: skip


async def game_player(
    db: Database, registry: BrandRegistry, *, cash: int = 300, bonus: int = 500
) -> GamePlayer:
    """A player with `cash` and `bonus` (EUR minor units) and a fresh session on Dice."""
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, [BRAND])
    player_id = await create_player(db, registry)
    if cash:
        await fund(db, player_id, WalletKind.CASH, cash)
    if bonus:
        await fund(db, player_id, WalletKind.BONUS, bonus)
    async with db.transaction() as uow:
        session = await launch(
            uow, brand=BRAND, player_id=player_id, provider=ORIGINALS.code, game_code=GAME
        )
    return GamePlayer(player_id, session.token)


async def wallets(db: Database, player_id: uuid.UUID) -> dict[str, int]:
    async with db.uow() as uow:
        return {
            b.kind.value: b.amount_minor
            for b in await balances(uow, BRAND, player_id)
            if b.kind in (WalletKind.CASH, WalletKind.BONUS)
        }


async def execute(db: Database, statement: str, **params: object) -> list[tuple[object, ...]]:
    async with db.transaction() as uow:
        result = await uow.session.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []


async def assert_invariants(db: Database) -> None:
    async with db.uow() as uow:
        report = await invariants.check(uow)
    assert report.ok, report.violations


@pytest.fixture
async def player(db: Database, registry: BrandRegistry) -> GamePlayer:
    return await game_player(db, registry)


@pytest.fixture
async def provider(server: str, player: GamePlayer) -> AsyncIterator[ProviderSimulator]:
    simulator = ProviderSimulator(server, player.token, str(player.player_id), game_code=GAME)
    yield simulator
    await simulator.aclose()
