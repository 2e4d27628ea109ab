"""The catalogue sync and game launch, through the domain services."""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, text

from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS, seed_demo_catalog
from domain.casino.errors import DemoUnavailable, GameNotFound
from domain.casino.models import CasinoGame, GameMode, GameSession
from domain.casino.service import launch
from domain.compliance.errors import AccountSuspended, SelfExcluded
from domain.kernel.db import Database
from tests.support import create_player


async def _launch(db: Database, player_id: uuid.UUID, **kwargs: object) -> object:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora", "northstar"])
        return await launch(
            uow, brand="aurora", player_id=player_id, provider=ORIGINALS.code,
            **{"game_code": "originals-dice", **kwargs},  # type: ignore[arg-type]
        )  # fmt: skip


async def test_seeding_the_demo_catalogue_twice_keeps_one_copy(db: Database) -> None:
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora", "northstar"])
        await seed_demo_catalog(uow, ["aurora", "northstar"])
        # The catalogue is reference data that outlives tests: other tests' seeding, and
        # their own test games of this provider, may be there too. Count the seed's games.
        codes = [game.code for game in ORIGINALS.games]
        games = await uow.session.scalar(
            select(func.count())
            .select_from(CasinoGame)
            .where(CasinoGame.provider == ORIGINALS.code, CasinoGame.code.in_(codes))
        )
        offered = await uow.session.execute(
            text(
                "SELECT b.brand, count(*) FROM casino_brand_games b "
                "JOIN casino_games g ON g.id = b.game_id "
                "WHERE b.brand IN ('aurora', 'northstar') AND g.provider = :provider "
                "AND g.code = ANY(:codes) GROUP BY b.brand ORDER BY b.brand"
            ),
            {"provider": ORIGINALS.code, "codes": codes},
        )
        assert games == 2
        assert list(offered) == [("aurora", 2), ("northstar", 2)]


async def test_a_launch_opens_a_session_whose_token_is_stored_hashed(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)

    launched = await _launch(db, player_id)

    query = parse_qs(urlsplit(launched.url).query)  # type: ignore[attr-defined]
    assert launched.url.startswith("/originals/launch?")  # type: ignore[attr-defined]
    assert query == {
        "game": ["originals-dice"], "token": [launched.token],  # type: ignore[attr-defined]
        "mode": ["real"], "currency": ["EUR"], "user": [str(player_id)],
    }  # fmt: skip
    async with db.uow() as uow:
        session = await uow.session.scalar(select(GameSession))
    assert session is not None
    assert session.token_hash == hashlib.sha256(launched.token.encode()).digest()  # type: ignore[attr-defined]
    assert (session.player_id, session.currency, session.mode) == (player_id, "EUR", "real")


@pytest.mark.parametrize(
    ("status", "error"), [("suspended", AccountSuspended), ("self_excluded", SelfExcluded)]
)
async def test_a_blocked_player_cannot_launch_for_real_money(
    db: Database, registry: BrandRegistry, status: str, error: type[Exception]
) -> None:
    player_id = await create_player(db, registry)
    async with db.transaction() as uow:
        await uow.session.execute(text("UPDATE players SET status = :s"), {"s": status})

    with pytest.raises(error):
        await _launch(db, player_id)

    async with db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(GameSession)) == 0


async def test_demo_play_skips_the_wager_guard_and_unknown_games_are_not_found(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    async with db.transaction() as uow:
        await uow.session.execute(text("UPDATE players SET status = 'suspended'"))

    demo = await _launch(db, player_id, mode=GameMode.DEMO)

    assert "mode=demo" in demo.url  # type: ignore[attr-defined]
    with pytest.raises(GameNotFound):
        await _launch(db, player_id, game_code="no-such-game")


async def test_a_game_without_demo_cannot_launch_in_demo(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora"])
        await uow.session.execute(
            text("UPDATE casino_games SET demo_available = false WHERE code = 'originals-slot'")
        )
    try:
        async with db.uow() as uow:
            with pytest.raises(DemoUnavailable):
                await launch(
                    uow, brand="aurora", player_id=player_id, provider=ORIGINALS.code,
                    game_code="originals-slot", mode=GameMode.DEMO,
                )  # fmt: skip
    finally:
        async with db.transaction() as uow:
            await seed_demo_catalog(uow, ["aurora"])
