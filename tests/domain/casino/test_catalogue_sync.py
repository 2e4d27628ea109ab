"""The casino catalogue syncs from the aggregator port: every page of every studio,
offered on the brands, withdrawn games switched off, bad entries refused, and a slow
aggregator changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from domain.casino.catalog import CatalogueSync, apply_catalogue, fetch_catalogue
from domain.casino.models import BrandGame, CasinoGame
from domain.integrations.aggregator import (
    AggregatorUnavailable,
    InvalidCatalogueCursor,
    TestAggregator,
)
from domain.kernel.db import Database

BRANDS = ["aurora", "northstar"]


async def _sync(db: Database, aggregator: TestAggregator) -> CatalogueSync:
    catalogue = await fetch_catalogue(aggregator)
    async with db.transaction() as uow:
        return await apply_catalogue(uow, catalogue, BRANDS)


async def _enabled(db: Database, brand: str) -> set[str]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(CasinoGame.code)
            .join(BrandGame, BrandGame.game_id == CasinoGame.id)
            .where(BrandGame.brand == brand, BrandGame.enabled.is_(True))
        )
        return set(rows)


async def test_every_page_of_every_studio_is_synced_and_offered(db: Database) -> None:
    aggregator = TestAggregator(page_size=7)

    report = await _sync(db, aggregator)

    assert report.providers == 2
    assert report.games == 28  # 24 slots, 4 roulette tables
    assert aggregator.calls == 1 + 4 + 1  # providers, 4 pages of slots, 1 of tables
    synced = {game.code for spec in await fetch_catalogue(TestAggregator()) for game in spec.games}
    assert synced <= await _enabled(db, "aurora")
    assert synced <= await _enabled(db, "northstar")
    async with db.uow() as uow:
        roulette = await uow.session.scalar(
            select(CasinoGame).where(CasinoGame.code == "velvetine-quayside-roulette")
        )
    assert roulette is not None
    assert (roulette.name, roulette.rtp_basis_points, roulette.demo_available) == (
        "Quayside Roulette", 9730, True,
    )  # fmt: skip


async def test_withdrawn_games_leave_the_lobbies_and_a_resync_changes_nothing(
    db: Database,
) -> None:
    await _sync(db, TestAggregator())
    before = await _enabled(db, "aurora")

    report = await _sync(db, TestAggregator(withdrawn=frozenset({"quillmoor-001"})))
    again = await _sync(db, TestAggregator(withdrawn=frozenset({"quillmoor-001"})))

    assert report.retired == 2  # one game, two brands
    assert again.retired == 0
    assert before - await _enabled(db, "aurora") == {"quillmoor-001"}


async def test_entries_no_lobby_may_show_are_refused(db: Database) -> None:
    report = await _sync(db, TestAggregator(broken=True))

    assert sorted(report.rejected) == [
        "quillmoor-broken", "quillmoor-impossible", "velvetine-broken", "velvetine-impossible",
    ]  # fmt: skip
    async with db.uow() as uow:
        stored = await uow.session.scalar(
            select(func.count()).select_from(CasinoGame).where(CasinoGame.code.like("%broken"))
        )
    assert stored == 0


async def test_a_slow_aggregator_or_a_bad_cursor_changes_nothing(db: Database) -> None:
    before = await _enabled(db, "aurora")

    with pytest.raises(AggregatorUnavailable):
        await fetch_catalogue(TestAggregator(delay_s=0.2), timeout_s=0.05)
    with pytest.raises(InvalidCatalogueCursor):
        await TestAggregator().games("quillmoor", "bm90LWEtY3Vyc29y")

    assert await _enabled(db, "aurora") == before
