"""The date rule: a correction lands on the day its own ledger transaction happened. A
casino bet staked yesterday (in the brand's time zone) and rolled back today shows as a
stake yesterday and a negative stake today: yesterday's figures never change after the
fact, the range nets to zero, and nothing counts twice, however the days are rebuilt."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.reporting import reconciliation, service
from tests.domain.reporting.support import Casino, apply_outbox, ledger_move, player

STAKE_DAYS = """
SELECT day, sum(bets), sum(stakes_minor) FROM reporting_daily
 WHERE brand = 'aurora' AND product = 'casino' GROUP BY day ORDER BY day
"""


async def stake_days(db: Database) -> list[tuple[date, int, int]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(text(STAKE_DAYS))
        return [(row[0], int(row[1]), int(row[2])) for row in rows]


async def test_a_rollback_today_of_yesterdays_bet_lands_today_and_nets_out(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 50_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await dice.bet("late-b1", "late-r1", 7_00)
    # The stake happened a day earlier: what a bet posted just before midnight looks like
    # once its rollback arrives after it (the owner may move a timestamp; the app may not).
    async with owner_db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE ledger_transactions SET created_at = created_at - interval '1 day' "
                "WHERE kind = 'casino.bet'"
            )
        )
    await dice.rollback("late-rb1", "late-r1", "late-b1")

    await apply_outbox(db)
    days = await stake_days(db)

    (yesterday, *_), (today, *_) = days
    assert days == [(yesterday, 1, 7_00), (today, -1, -7_00)]
    assert today - yesterday == timedelta(days=1)
    # Rebuilding either day, or both, gives the same figures: nothing moves across days.
    await service.rebuild(db, ["aurora"], today, today)
    await service.rebuild(db, ["aurora"], yesterday, today)
    assert await stake_days(db) == days
    async with db.uow() as uow:
        assert await reconciliation.reconcile(uow, "aurora", yesterday, today) == []
