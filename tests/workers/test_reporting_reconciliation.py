"""The scheduled reconciliation exports, per brand, how many figures of its closed days
differ between the read model and the ledger."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import text

from domain.kernel.db import Database
from workers.scheduler import reconcile_reports


def gauge(brand: str) -> float | None:
    return REGISTRY.get_sample_value("stakehouse_reporting_mismatches", {"brand": brand})


async def test_a_report_figure_the_ledger_does_not_back_sets_the_brands_gauge(
    db: Database, owner_db: Database
) -> None:
    assert await reconcile_reports(db) == 0
    assert gauge("kumo") == 0

    async with owner_db.transaction() as uow:
        await uow.session.execute(
            text(
                "INSERT INTO reporting_daily (day, brand, product, game, provider, sport, "
                "competition, market_type, currency, wins_minor) VALUES ("
                "(now() AT TIME ZONE 'Asia/Tokyo')::date - 2, 'kumo', 'casino', 'dice', "
                "'originals', '', '', '', 'JPY', 700)"
            )
        )

    assert await reconcile_reports(db) == 1
    assert (gauge("kumo"), gauge("aurora")) == (1, 0)
