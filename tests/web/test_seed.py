"""The dev seed's casino: the demo studios' games are offered, and the games of studios the
built-in aggregator listed in earlier versions are switched off; the demo players are
verified, so the KYC gates (on in dev) let them deposit, play and withdraw."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from domain.accounts import players
from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.casino.catalog import GameSpec, ProviderSpec, apply_catalogue
from domain.casino.models import BrandGame, CasinoGame
from domain.compliance.kyc import checks
from domain.compliance.kyc.errors import DevOnly
from domain.compliance.kyc.models import KycCheck
from domain.compliance.service import Activity, ensure_allowed
from domain.kernel.db import Database
from domain.kernel.settings import Environment, get_settings
from tests.domain.compliance.kyc_support import enforce_gates, register
from web import seed as seed_module
from web.seed import DEMO_USERNAME, seed


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


async def test_the_dev_seed_verifies_the_demo_players_so_the_gates_let_them_play(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The KYC gates are on in dev too: the demo player of Sweden's brand (basic before a
    deposit, full before a withdrawal) passes them, and a second seed changes nothing."""
    enforce_gates(monkeypatch)
    await seed(db, registry, demo=True)
    await seed(db, registry, demo=True)

    async with db.transaction() as uow:
        demo = await players.find_by_identifier(uow, "northstar", DEMO_USERNAME)
        assert demo is not None
        approved = await uow.session.scalar(
            select(func.count()).select_from(KycCheck).where(KycCheck.player_id == demo.id)
        )
        for activity in (Activity.DEPOSIT, Activity.WAGER, Activity.WITHDRAWAL):
            await ensure_allowed(uow, "northstar", demo.id, activity, amount_minor=100_00)
    assert (demo.kyc_tier, approved) == ("full", 1)


async def test_demo_data_is_refused_in_production(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Demo players have a published password and are verified without a provider: in
    production neither the seed nor the verification creates them."""
    production = get_settings().model_copy(update={"env": Environment.PRODUCTION})
    monkeypatch.setattr(seed_module, "get_settings", lambda: production)
    monkeypatch.setattr(checks, "get_settings", lambda: production)
    someone = await register(db, registry.get("aurora"), "EUR")
    before = await _players(db)

    with pytest.raises(DevOnly):
        await seed(db, registry, demo=True)
    async with db.transaction() as uow:
        with pytest.raises(DevOnly):
            await checks.verify_demo_player(uow, someone.id, "aurora", provider="test")
    async with db.uow() as uow:
        verified = await uow.session.scalar(
            select(func.count()).where(KycCheck.player_id == someone.id)
        )
    assert await _players(db) == before
    assert verified == 0


async def _players(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Player)) or 0)
