"""Demo history: a week of activity on every brand through the domain's paths, dated into
the past: the read model shows each day and reconciles with the ledger, the ledger's
tamper evidence still verifies after the re-dating, the affiliates brought players and
the closed month has statements; a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.affiliates import demo_history
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.reporting import reconciliation
from domain.wallets import integrity
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.domain.reporting.support import execute
from tests.support import create_player


async def test_a_week_of_history_reconciles_and_verifies_and_runs_once(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    made = await demo_history.generate(db, owner_db, registry, weeks=1, production=False)

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
    # The week crossed a month end in a brand's own days (not the machine's UTC ones: the
    # brands' days run ahead of UTC's at night): that month is stated.
    ((months,),) = await execute(
        db, "SELECT count(DISTINCT date_trunc('month', day)) FROM reporting_daily"
    )
    if months > 1:  # type: ignore[operator]
        assert made.statements > 0

    again = await demo_history.generate(db, owner_db, registry, weeks=1, production=False)
    assert (again.days, again.players) == (0, 0)


async def test_only_what_the_generator_wrote_is_redated(
    db: Database, owner_db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    outsider = await create_player(db, registry)
    written: list[int] = []
    day = demo_history._Brand.day

    async def day_and_real_traffic(self: demo_history._Brand) -> None:
        await day(self)
        if not written:  # someone else's deposit, committed while the history is made
            async with db.uow() as uow:
                posting = await transfer(
                    uow, brand="aurora", kind="deposit",
                    source=await house_account_id(
                        uow, "aurora", HouseAccountKind.PSP_CLEARING, "EUR"
                    ),
                    destination=await wallet_id(uow, "aurora", outsider, WalletKind.CASH, "EUR"),
                    amount_minor=500, scope=None, key=None,
                )  # fmt: skip
                await uow.commit()
            written.append(posting.transaction_id)

    monkeypatch.setattr(demo_history._Brand, "day", day_and_real_traffic)
    made = await demo_history.generate(db, owner_db, registry, weeks=1, production=False)

    assert made.days == 7
    today = clock.today()
    kept = await execute(
        db,
        "SELECT (SELECT created_at::date FROM ledger_transactions WHERE id = :tx), "
        "(SELECT created_at::date FROM players WHERE id = :player)",
        tx=written[0],
        player=outsider,
    )
    assert kept == [(today, today)]
    moved = await execute(
        db,
        "SELECT count(*) FROM ledger_transactions WHERE created_at::date = :today AND id <> :tx",
        today=today,
        tx=written[0],
    )
    assert moved == [(0,)]
    async with db.uow() as uow:
        assert await integrity.verify(uow) is None


async def test_refused_in_production(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    with pytest.raises(demo_history.HistoryRefused):
        await demo_history.generate(db, owner_db, registry, weeks=1, production=True)

    assert await execute(db, "SELECT count(*) FROM ledger_transactions") == [(0,)]
    assert await execute(db, "SELECT count(*) FROM affiliates") == [(0,)]
