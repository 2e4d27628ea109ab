"""The tier recalculation works brand by brand, in batches of players, each batch its own
transaction: a run that stops part-way keeps what it committed and resumes after it, and
one brand's failure holds back no other brand (domain.bonuses.tiers)."""

from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import select

from domain.bonuses import loyalty, tiers
from domain.bonuses.models import LoyaltyEarning, LoyaltyStatus, LoyaltyTierRun
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.bonuses.test_loyalty import PROGRAMME
from tests.domain.reporting.support import player as registered_player

_LEDGER_IDS = itertools.count(9_000_000)


async def _earner(db: Database, registry: BrandRegistry, brand: str) -> uuid.UUID:
    """A player of `brand` with 20 points in the window (Silver from 15)."""
    player_id = await registered_player(db, registry, brand, registry.get(brand).currencies[0])
    async with db.transaction() as uow:
        uow.session.add(
            LoyaltyEarning(
                ledger_transaction_id=next(_LEDGER_IDS), brand=brand, player_id=player_id,
                product="casino", staked_minor=20_00, points=20,
            )
        )  # fmt: skip
    return player_id


async def _tiers(db: Database) -> dict[uuid.UUID, str]:
    async with db.uow() as uow:
        return dict(
            (await uow.session.execute(select(LoyaltyStatus.player_id, LoyaltyStatus.tier))).all()
        )


async def _cursor(db: Database, brand: str) -> uuid.UUID | None:
    async with db.uow() as uow:
        return await uow.session.scalar(
            select(LoyaltyTierRun.cursor).where(LoyaltyTierRun.brand == brand)
        )


async def test_a_run_that_stops_keeps_its_batches_resumes_after_them_and_spares_other_brands(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as uow:
        for brand in ("aurora", "kumo"):
            await loyalty.set_demo_programme(uow, brand, PROGRAMME)
    aurora = sorted([await _earner(db, registry, "aurora") for _ in range(3)])
    kumo = await _earner(db, registry, "kumo")

    # The second batch of aurora fails (a lost connection, a deploy).
    real = tiers._set_tiers
    batches: list[list[uuid.UUID]] = []

    async def failing(uow, brand, programme, sums):  # type: ignore[no-untyped-def]
        if brand == "aurora":
            batches.append([player_id for player_id, _ in sums])
            if len(batches) == 2:
                raise ConnectionError("lost")
        return await real(uow, brand, programme, sums)

    monkeypatch.setattr(tiers, "_set_tiers", failing)
    with pytest.raises(ConnectionError):
        await tiers.recalculate_tiers(db, batch_size=2)
    after_failure = (await _tiers(db), await _cursor(db, "aurora"))

    batches.clear()
    resumed = await tiers.recalculate_tiers(db, batch_size=2)
    monkeypatch.setattr(tiers, "_set_tiers", real)

    # The first batch (two players) stood, and so did kumo, run after the failure.
    assert after_failure == ({aurora[0]: "Silver", aurora[1]: "Silver", kumo: "Silver"}, aurora[1])
    # The resumed run started after the committed batch, and finished the brand.
    assert batches[0] == [aurora[2]]
    assert resumed == 1
    assert (await _tiers(db))[aurora[2]] == "Silver"
    assert await _cursor(db, "aurora") is None
    # A complete run starts over next time, and changes nothing.
    assert await tiers.recalculate_tiers(db, batch_size=2) == 0
