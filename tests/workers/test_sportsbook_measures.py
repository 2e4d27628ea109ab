"""The scheduler's sportsbook gauges: feed producer state and the settlement backlog,
measured on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from prometheus_client import REGISTRY
from sqlalchemy import update

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook.models import BetLeg, BetType, FeedProducer, Outcome
from domain.sportsbook.placement import BetSlip, Selection
from tests.domain.sportsbook.support import add_market, funded_player, place
from workers.scheduler import JOBS, measure_sportsbook


def _state(producer: str, state: str) -> float | None:
    return REGISTRY.get_sample_value(
        "stakehouse_feed_producer_state", {"producer": producer, "state": state}
    )


async def test_each_feed_producer_reports_exactly_its_current_state(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as uow:
        uow.session.add_all(
            [
                FeedProducer(producer="m-up", last_alive_at=now),
                FeedProducer(producer="m-silent", last_alive_at=now, down_since=now),
                FeedProducer(producer="m-gap", last_alive_at=now, recovering_since=now),
            ]
        )

    await measure_sportsbook(db)

    assert [_state("m-up", s) for s in ("up", "suspended", "recovering")] == [1, 0, 0]
    assert [_state("m-silent", s) for s in ("up", "suspended", "recovering")] == [0, 1, 0]
    assert [_state("m-gap", s) for s in ("up", "suspended", "recovering")] == [0, 0, 1]
    assert "sportsbook.measure" in {job.name for job in JOBS}


async def test_the_backlog_counts_open_bets_on_resulted_outcomes_not_yet_settled(
    db: Database, registry: BrandRegistry
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    other = await add_market(db, {"home": "2.00", "away": "3.00"})
    for target in (market, market, other):
        player = await funded_player(db, registry, 10_00)
        slip = BetSlip(
            selections=(Selection(target.outcomes["home"], Decimal("2.00")),),
            stake_minor=10_00,
            bet_type=BetType.SINGLE,
            idempotency_key="bet",
        )
        await place(db, registry, player, slip)
    assert await measure_sportsbook(db) == 0

    # The first market's results are recorded: its two bets now wait for settlement.
    async with db.transaction() as uow:
        await uow.session.execute(
            update(Outcome).where(Outcome.market_id == market.market_id).values(result="lose")
        )
    assert await measure_sportsbook(db) == 2
    assert REGISTRY.get_sample_value("stakehouse_settlement_backlog_bets") == 2

    # Settlement has written both legs: nothing waits any more.
    async with db.transaction() as uow:
        first = (
            await uow.session.scalars(
                update(BetLeg)
                .where(BetLeg.market_id == market.market_id)
                .values(result="lose")
                .returning(BetLeg.bet_id)
            )
        ).all()
    assert len(first) == 2
    assert await measure_sportsbook(db) == 0
