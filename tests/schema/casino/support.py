"""A lobby catalogue of its own (provider `lobby-test`), so lobby tests do not depend on
what other tests seed; removed again after each test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from strawberry.relay import to_base64

from domain.casino.catalog import GameSpec, ProviderSpec, enable_games, sync_provider
from domain.casino.models import CasinoGame
from domain.kernel.db import Database

PROVIDER = "lobby-test"


def _game(code: str, name: str, category: str, tags: tuple[str, ...], **extra: object) -> GameSpec:
    return GameSpec(
        code=code, name=name, category=category, tags=tags, rtp_basis_points=9610,
        volatility="medium", thumbnail_url=f"/static/{code}.png", **extra,  # type: ignore[arg-type]
    )  # fmt: skip


CATALOGUE = ProviderSpec(
    code=PROVIDER,
    name="Lobby Test Studio",
    launch_url="https://games.example/launch",
    games=(
        _game("book-of-stars", "Book of Stars", "test-slots", ("books", "egypt")),
        _game("starlight-nights", "Starlight Nights", "test-slots", ("space",)),
        _game("gonzo-gold", "Gonzo Gold", "test-slots", ("adventure", "egypt")),
        _game("lightning-roulette", "Lightning Roulette", "test-live", ("roulette",)),
        _game("blackjack-classic", "Blackjack Classic", "test-table", ("cards",)),
        _game("no-demo-poker", "No Demo Poker", "test-table", ("cards",), demo_available=False),
        # Not certified in Malta (aurora's jurisdiction): never listed there.
        _game("mega-jackpot", "Mega Jackpot", "test-jackpot", (), restricted_jurisdictions=("MT",)),
    ),
)
NORTHSTAR_GAMES = ("book-of-stars", "mega-jackpot")


async def remove_catalogue(db: Database) -> None:
    async with db.transaction() as uow:
        for statement in (
            "DELETE FROM casino_favourites WHERE game_id IN "
            "(SELECT id FROM casino_games WHERE provider = :p)",
            "DELETE FROM casino_brand_providers WHERE provider = :p",
            "DELETE FROM casino_transactions WHERE provider = :p",
            "DELETE FROM casino_rounds WHERE provider = :p",
            "DELETE FROM casino_game_sessions WHERE provider = :p",
            "DELETE FROM casino_brand_games WHERE game_id IN "
            "(SELECT id FROM casino_games WHERE provider = :p)",
            "DELETE FROM casino_games WHERE provider = :p",
            "DELETE FROM casino_providers WHERE code = :p",
        ):
            await uow.session.execute(text(statement), {"p": PROVIDER})


@pytest.fixture
async def catalogue(db: Database) -> AsyncIterator[dict[str, str]]:
    """The test catalogue on aurora (all) and northstar (two): game code -> global ID."""
    async with db.transaction() as uow:
        await sync_provider(uow, CATALOGUE)
        await enable_games(uow, "aurora", PROVIDER)
        await enable_games(uow, "northstar", PROVIDER, NORTHSTAR_GAMES)
        rows = await uow.session.execute(
            select(CasinoGame.code, CasinoGame.id).where(CasinoGame.provider == PROVIDER)
        )
        ids = {code: to_base64("CasinoGame", str(game_id)) for code, game_id in rows}
    yield ids
    await remove_catalogue(db)


def game_uuid(global_id: str) -> uuid.UUID:
    from strawberry.relay import from_base64

    return uuid.UUID(from_base64(global_id)[1])
