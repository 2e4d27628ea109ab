"""Demo history: a week of activity on every brand through the domain's paths, dated into
the past: the read model shows each day and reconciles with the ledger, the ledger's
tamper evidence still verifies after the re-dating, the affiliates brought players and
the closed month has statements; a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

from domain.affiliates import demo_history
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.reporting import reconciliation
from domain.wallets import integrity
from tests.domain.reporting.support import execute


async def test_a_week_of_history_reconciles_and_verifies_and_runs_once(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    made = await demo_history.generate(db, owner_db, registry, weeks=1)

    assert made.days == 7
    assert made.brands == tuple(registry.by_slug)
    assert made.players == 7 * 2 * len(registry.by_slug)
    assert made.bets > 0
    days = await execute(
        db,
        "SELECT brand, count(DISTINCT day) FROM reporting_daily WHERE product = 'casino' "
        "GROUP BY brand ORDER BY brand",
    )
    assert days == [(slug, 7) for slug in sorted(registry.by_slug)]
    today = clock.today()
    async with db.uow() as uow:
        for slug in registry.by_slug:
            assert await reconciliation.reconcile(uow, slug, today - timedelta(days=8), today) == []
        assert await integrity.verify(uow) is None
    referred = await execute(
        db,
        "SELECT a.name, count(*) > 0 FROM affiliate_referrals r JOIN affiliates a "
        "ON a.id = r.affiliate_id WHERE a.brand = 'aurora' GROUP BY a.name ORDER BY a.name",
    )
    assert referred == [("Demo CPA Partners", True), ("Demo RevShare Media", True)]
    if (today - timedelta(days=7)).month != today.month:
        assert made.statements > 0  # the week crossed a month end: that month is stated

    again = await demo_history.generate(db, owner_db, registry, weeks=1)
    assert (again.days, again.players) == (0, 0)
