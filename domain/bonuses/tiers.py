"""Loyalty tiers, recalculated by a job: the points a player earned over the programme's
rolling window decide their tier (domain.bonuses.loyalty holds the programme). Each brand
is recalculated on its own, in batches of players in id order, each batch one short
transaction that records how far the brand's run got (`loyalty_tier_runs`): a run that
stops resumes after its last committed batch, and one brand's failure rolls back no other.
A batch run twice changes nothing (only differing tiers are written and announced)."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from domain.bonuses.events import LoyaltyTierChanged
from domain.bonuses.loyalty import Programme
from domain.bonuses.models import LoyaltyProgramme, LoyaltyStatus, LoyaltyTierRun
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.outbox import emit_many

log = logging.getLogger(__name__)

# Players recalculated per transaction: a brand's locks, WAL and outbox rows stay small.
TIER_BATCH: Final = 500
_TIER_CANDIDATES = text("""
SELECT p.player_id, coalesce(sum(e.points), 0) AS points
  FROM (SELECT player_id FROM (
          SELECT player_id FROM loyalty_earnings WHERE brand = :brand
                 AND (CAST(:after AS uuid) IS NULL OR player_id > CAST(:after AS uuid))
          UNION SELECT player_id FROM loyalty_statuses WHERE brand = :brand
                 AND (CAST(:after AS uuid) IS NULL OR player_id > CAST(:after AS uuid))) c
         ORDER BY player_id LIMIT :limit) p
  LEFT JOIN loyalty_earnings e ON e.player_id = p.player_id AND e.created_at > :since
 GROUP BY p.player_id ORDER BY p.player_id
""")


async def recalculate_tiers(db: Database, *, batch_size: int = TIER_BATCH) -> int:
    """Every player of a brand with a programme who earned in the window, or holds a
    tier: their tier from the points of the window. Each brand on its own, in batches of
    players, each batch one transaction that records how far the brand's run got (a run
    that stops resumes there; one brand's failure holds back no other, and is raised once
    all have run). Idempotent; returns how many changed. A tier that changes publishes
    `bonuses.loyalty_tier_changed` in its batch's transaction."""
    async with db.uow() as uow:
        brands = list(await uow.session.scalars(select(LoyaltyProgramme.brand).order_by("brand")))
    changed = 0
    failed: list[Exception] = []
    for brand in brands:
        try:
            finished = False
            while not finished:
                done, finished = await _tier_batch(db, brand, batch_size)
                changed += done
        except Exception as error:
            log.exception("loyalty tier recalculation of brand %s failed", brand)
            failed.append(error)
    if failed:
        raise failed[0]
    return changed


async def _tier_batch(db: Database, brand: str, batch_size: int) -> tuple[int, bool]:
    """The brand's next batch, in one transaction: how many tiers it changed, and whether
    the brand's run is complete (its cursor then cleared: the next run starts over)."""
    async with db.transaction() as uow:
        run = await uow.session.scalar(
            select(LoyaltyTierRun).where(LoyaltyTierRun.brand == brand).with_for_update()
        )
        if run is None:
            run = LoyaltyTierRun(brand=brand, cursor=None, updated_at=clock.now())
            uow.session.add(run)
            await uow.flush()
        config = await uow.session.scalar(
            select(LoyaltyProgramme.config).where(LoyaltyProgramme.brand == brand)
        )
        if config is None:
            return 0, True
        programme = Programme.from_json(config)
        since = clock.now() - timedelta(days=programme.window_days)
        sums = (
            await uow.session.execute(
                _TIER_CANDIDATES,
                {"brand": brand, "after": run.cursor, "limit": batch_size, "since": since},
            )
        ).all()
        changed = await _set_tiers(uow, brand, programme, [(p, int(n)) for p, n in sums])
        run.cursor = sums[-1].player_id if len(sums) == batch_size else None
        run.updated_at = clock.now()
        return changed, run.cursor is None


async def _set_tiers(
    uow: UnitOfWork, brand: str, programme: Programme, sums: list[tuple[uuid.UUID, int]]
) -> int:
    if not sums:
        return 0
    held: dict[uuid.UUID, str] = dict(
        (
            await uow.session.execute(
                select(LoyaltyStatus.player_id, LoyaltyStatus.tier).where(
                    LoyaltyStatus.player_id.in_([player_id for player_id, _ in sums])
                )
            )
        ).all()
    )
    now = clock.now()
    named = [(player_id, points, programme.tier_for(points).name) for player_id, points in sums]
    await emit_many(
        uow,
        [
            LoyaltyTierChanged(player_id=str(player_id), before=held.get(player_id), after=tier)
            for player_id, _, tier in named
            if held.get(player_id) != tier
        ],
        brand=brand,
    )
    rows = [
        {"player_id": player_id, "brand": brand, "tier": tier, "window_points": points,
         "recalculated_at": now}
        for player_id, points, tier in named
    ]  # fmt: skip
    statement = insert(LoyaltyStatus).values(rows)
    result = await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["player_id"],
            set_={
                "tier": statement.excluded.tier,
                "window_points": statement.excluded.window_points,
                "recalculated_at": statement.excluded.recalculated_at,
            },
            where=(LoyaltyStatus.tier != statement.excluded.tier)
            | (LoyaltyStatus.window_points != statement.excluded.window_points),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
