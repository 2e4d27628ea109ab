"""The lobby's one GraphQL execution (CasinoLobby: a page of games, the filter choices and,
signed in, the recently played) reads in a fixed number of statements, however many games
the catalogue holds: no N+1 as the lobby grows."""

from __future__ import annotations

from typing import Any

from domain.brands.service import BrandRegistry
from domain.casino.catalog import GameSpec, ProviderSpec, enable_games, sync_provider
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from schema import build_schema
from tests.web.site.support import counted_site_query, player_token
from web.seed import seed
from web.site.casino import LOBBY_PAGE_SIZE, UNFILTERED
from web.site.client import load_documents

SCHEMA = build_schema(get_settings())
LOBBY = load_documents()["CasinoLobby"]
PROVIDER = "lobby-statements"


def _catalogue(games: int) -> ProviderSpec:
    return ProviderSpec(
        code=PROVIDER,
        name="Lobby Statements Studio",
        launch_url="https://games.example/launch",
        games=tuple(
            GameSpec(
                code=f"lobby-game-{number:03}",
                name=f"Lobby Game {number:03}",
                category="test-slots" if number % 2 else "test-table",
                rtp_basis_points=9600,
                volatility="medium",
            )
            for number in range(1, games + 1)
        ),
    )


async def _add_games(db: Database, games: int) -> None:
    async with db.transaction() as uow:
        await sync_provider(uow, _catalogue(games))
        await enable_games(uow, "aurora", PROVIDER)


async def _lobby(
    db: Database, registry: BrandRegistry, token: str | None
) -> tuple[dict[str, Any], int]:
    variables = {**UNFILTERED.variables(None), "signedIn": token is not None}
    return await counted_site_query(
        SCHEMA, db, registry, LOBBY, operation="CasinoLobby", variables=variables, token=token
    )


async def _token(db: Database, registry: BrandRegistry) -> str:
    return await player_token(SCHEMA, db, registry, "lobby@example.com")


async def test_the_lobby_reads_in_the_same_statements_for_two_games_or_a_full_page(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry, demo=False)
    token = await _token(db, registry)
    await _add_games(db, 2)
    few, anonymous_few = await _lobby(db, registry, None)
    _, player_few = await _lobby(db, registry, token)
    await _add_games(db, LOBBY_PAGE_SIZE + 10)

    many, anonymous_many = await _lobby(db, registry, None)
    _, player_many = await _lobby(db, registry, token)

    assert len(few["casinoGames"]["edges"]) < len(many["casinoGames"]["edges"]) == LOBBY_PAGE_SIZE
    assert many["casinoGames"]["pageInfo"]["hasNextPage"] is True
    assert {"code": PROVIDER, "name": "Lobby Statements Studio"} in many["casinoProviders"]
    assert (anonymous_many, player_many) == (anonymous_few, player_few)
    assert anonymous_many <= 4 and player_many <= 8
