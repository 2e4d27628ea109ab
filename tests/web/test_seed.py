"""The dev seed's casino: the demo studios' games are offered, and the games of studios the
built-in aggregator listed in earlier versions are switched off."""

from __future__ import annotations

from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.casino.catalog import GameSpec, ProviderSpec, apply_catalogue
from domain.casino.models import BrandGame, CasinoGame
from domain.kernel.db import Database
from web.seed import seed


async def _enabled(db: Database, brand: str) -> set[str]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(CasinoGame.code)
            .join(BrandGame, BrandGame.game_id == CasinoGame.id)
            .where(BrandGame.brand == brand, BrandGame.enabled.is_(True))
        )
        return set(rows)


async def test_the_dev_seed_switches_off_the_former_demo_studios_games(
    db: Database, registry: BrandRegistry
) -> None:
    """A dev database seeded before the demo studios played still lists the old studio's
    games, which framed a host that does not exist: the seed switches them off."""
    former = ProviderSpec(
        "northlight",
        "Northlight",
        "https://games.northlight.example/launch",
        (GameSpec("northlight-000", "Old Game", "slots", 9600, "low"),),
    )
    async with db.transaction() as uow:
        await apply_catalogue(uow, [former], ["aurora"])
    assert "northlight-000" in await _enabled(db, "aurora")

    await seed(db, registry, demo=True)

    assert "northlight-000" not in await _enabled(db, "aurora")
    assert "quillmoor-000" in await _enabled(db, "aurora")
