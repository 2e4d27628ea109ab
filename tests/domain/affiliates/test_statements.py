"""A CPA and a RevShare affiliate each bring players over two months; the monthly
statements equal the figures computed by hand below, the commission is booked through the
ledger, and running the job again pays nothing more."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from domain.affiliates import statements
from domain.affiliates.errors import InvalidMonth, LaterMonthStated, MonthNotClosed
from domain.affiliates.models import PlanKind, Statement
from domain.affiliates.programme import Plan
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.reporting.formula import Formula
from tests.domain.affiliates.support import (
    affiliate,
    age_everything,
    cpa_plan,
    referred_player,
    revshare_plan,
)
from tests.domain.reporting.support import Casino, apply_outbox, execute, ledger_move

FORMULA = Formula()


def _months() -> tuple[date, date]:
    this_month = clock.today().replace(day=1)
    last = statements.previous_month(this_month)
    return statements.previous_month(last), last


def _figures(found: list[Statement]) -> dict[str, tuple[int, ...]]:
    return {
        s.currency + ":" + str(s.affiliate_id): (
            s.players,
            s.ngr_minor,
            s.carried_in_minor,
            s.revshare_minor,
            s.cpa_players,
            s.cpa_minor,
            s.total_minor,
            s.carried_out_minor,
        )
        for s in found
    }


async def _commissions(db: Database) -> list[tuple[object, ...]]:
    return await execute(
        db,
        "SELECT e.amount, a.kind FROM ledger_transactions t JOIN ledger_entries e "
        "ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id "
        "WHERE t.kind = 'affiliate.commission' AND e.amount > 0 ORDER BY e.amount",
    )


async def test_cpa_and_revshare_statements_match_hand_computed_figures_and_pay_once(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    month_a, month_b = _months()
    cpa = await affiliate(db, "Cpa Partners", cpa_plan(), "cpa-spring")
    share = await affiliate(db, "Share Media", revshare_plan("30"), "share-1")

    # Month A (two months ago).
    p1 = await referred_player(db, registry, "cpa-spring")
    p2 = await referred_player(db, registry, "cpa-spring")
    p3 = await referred_player(db, registry, "share-1")
    stranger = await referred_player(db, registry, None)
    forged = await referred_player(db, registry, "no-such-code")
    for who, amount in ((p1, 30_00), (p2, 10_00), (p3, 100_00), (stranger, 80_00), (forged, 80_00)):
        await ledger_move(db, "aurora", who, "EUR", amount)
    one = await Casino(db, registry, "aurora", "EUR").open(p1)
    await one.bet("a1-b", "a1-r", 15_00)  # P1: GGR 15, meets the CPA minimums
    three = await Casino(db, registry, "aurora", "EUR").open(p3)
    await three.bet("a3-b", "a3-r", 40_00)
    await three.win("a3-w", "a3-r", "a3-b", 100_00)  # P3: GGR -60
    for who in (stranger, forged):  # not referred: in no statement
        other = await Casino(db, registry, "aurora", "EUR").open(who)
        await other.bet(f"x-{who.hex[:6]}", f"xr-{who.hex[:6]}", 70_00)
    await age_everything(owner_db, 1)

    # Month B (last month).
    await ledger_move(db, "aurora", p2, "EUR", 20_00)  # P2: lifetime deposits 30
    two = await Casino(db, registry, "aurora", "EUR").open(p2)
    await two.bet("b2-b", "b2-r", 10_00)  # P2: GGR 10, now meets the minimums
    three = await Casino(db, registry, "aurora", "EUR").open(p3)
    await three.bet("b3-b", "b3-r", 100_00)  # P3: GGR 100
    await age_everything(owner_db, 1)
    await apply_outbox(db)

    async with db.transaction() as uow:
        first = await statements.run_month(
            uow, "aurora", month_a, today=clock.today(), formula=FORMULA
        )
    async with db.transaction() as uow:
        second = await statements.run_month(
            uow, "aurora", month_b, today=clock.today(), formula=FORMULA
        )

    c, s = f"EUR:{cpa.affiliate.id}", f"EUR:{share.affiliate.id}"
    # (players, NGR, carried in, RevShare, CPA players, CPA, total, carried out)
    assert _figures(first) == {
        c: (2, 15_00, 0, 0, 1, 50_00, 50_00, 0),  # P1 earns the CPA; P2 deposited too little
        s: (1, -60_00, 0, 0, 0, 0, 0, -60_00),  # negative NGR carried over
    }
    assert _figures(second) == {
        c: (1, 10_00, 0, 0, 1, 50_00, 50_00, 0),  # P2 qualifies; P1 is not paid again
        s: (1, 100_00, -60_00, 12_00, 0, 0, 12_00, 0),  # 30% of (100 - 60)
    }
    assert sorted(await _commissions(db)) == [
        (12_00, "affiliate_payable"), (50_00, "affiliate_payable"), (50_00, "affiliate_payable"),
    ]  # fmt: skip

    # The job again, for both months: nothing written, nothing paid.
    for month in (month_a, month_b):
        async with db.transaction() as uow:
            again = await statements.run_month(
                uow, "aurora", month, today=clock.today(), formula=FORMULA
            )
        assert again == []
    assert len(await _commissions(db)) == 3
    assert await execute(db, "SELECT count(*) FROM affiliate_statements") == [(4,)]
    assert await execute(db, "SELECT count(*) FROM affiliate_cpa_awards") == [(2,)]


async def test_an_earlier_month_after_a_later_one_is_refused_keeping_its_carry_over(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    month_a, month_b = _months()
    await affiliate(db, "Share Media", revshare_plan("30"), "share-1")
    player = await referred_player(db, registry, "share-1")
    await ledger_move(db, "aurora", player, "EUR", 200_00)
    casino = await Casino(db, registry, "aurora", "EUR").open(player)
    await casino.bet("a-b", "a-r", 40_00)
    await casino.win("a-w", "a-r", "a-b", 100_00)  # month A: NGR -60, to carry over
    await age_everything(owner_db, 1)
    casino = await Casino(db, registry, "aurora", "EUR").open(player)
    await casino.bet("b-b", "b-r", 100_00)  # month B: NGR 100
    await age_everything(owner_db, 1)
    await apply_outbox(db)
    async with db.transaction() as uow:
        later = await statements.run_month(
            uow, "aurora", month_b, today=clock.today(), formula=FORMULA
        )
    assert [s.total_minor for s in later] == [30_00]

    async with db.transaction() as uow:
        with pytest.raises(LaterMonthStated):
            await statements.run_month(uow, "aurora", month_a, today=clock.today(), formula=FORMULA)

    assert await execute(
        db, "SELECT month FROM affiliate_statements ORDER BY month"
    ) == [(month_b,)]  # fmt: skip
    assert await _commissions(db) == [(30_00, "affiliate_payable")]


async def test_the_current_month_is_not_computed_before_it_ends(db: Database) -> None:
    await affiliate(db, "Share Media", revshare_plan(), "share-1")
    async with db.transaction() as uow:
        with pytest.raises(MonthNotClosed):
            await statements.run_month(
                uow, "aurora", clock.today().replace(day=1), today=clock.today(), formula=FORMULA
            )
    assert await execute(db, "SELECT count(*) FROM affiliate_statements") == [(0,)]


@pytest.mark.parametrize(
    ("ngr", "carried_in", "carry", "expected"),
    [
        (100_00, 0, False, (30_00, 0)),
        (-60_00, 0, False, (0, 0)),  # without carry-over each month starts at zero
        (-60_00, 0, True, (0, -60_00)),
        (100_00, -60_00, True, (12_00, 0)),
        (40_00, -60_00, True, (0, -20_00)),  # still under water: the rest carries on
        (3_33, 0, False, (99, 0)),  # 30% of 3.33 = 0.999: rounded down to the cent
    ],
)
def test_revshare_with_and_without_negative_carry_over(
    ngr: int, carried_in: int, carry: bool, expected: tuple[int, int]
) -> None:
    plan = Plan(PlanKind.REVSHARE, revshare_percent=Decimal(30), negative_carry_over=carry)
    assert statements.revshare_minor(ngr, carried_in, plan) == expected


def test_a_cpa_plan_earns_no_revshare() -> None:
    assert statements.revshare_minor(100_00, 0, cpa_plan()) == (0, 0)


@pytest.mark.parametrize("month", [date(1, 1, 1), date(9999, 12, 31), date(1999, 12, 1)])
async def test_a_month_out_of_range_is_a_typed_error(db: Database, month: date) -> None:
    async with db.transaction() as uow:
        with pytest.raises(InvalidMonth):
            await statements.run_month(uow, "aurora", month, today=clock.today(), formula=FORMULA)


def test_a_hybrid_plan_earns_revshare_besides_its_cpa() -> None:
    hybrid = Plan(
        PlanKind.HYBRID, cpa=cpa_plan().cpa, revshare_percent=Decimal(25), negative_carry_over=True
    ).checked()
    assert statements.revshare_minor(100_00, 0, hybrid) == (25_00, 0)
    assert statements.revshare_minor(-10_00, 0, hybrid) == (0, -10_00)


async def _age_latest_bet(owner_db: Database, months: int) -> None:
    """Move the latest casino bet `months` into the past: an event of that month that
    reaches the read model only now."""
    await execute(
        owner_db,
        "UPDATE ledger_transactions SET created_at = created_at - make_interval(months => :m) "
        "WHERE id = (SELECT max(id) FROM ledger_transactions WHERE kind = 'casino.bet')",
        m=months,
    )


async def test_a_late_correction_of_a_stated_month_is_an_adjustment_on_the_next_statement(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    month_a, month_b = _months()
    share = await affiliate(db, "Share Media", revshare_plan("30", carry=False), "share-1")
    player_id = await referred_player(db, registry, "share-1")
    await ledger_move(db, "aurora", player_id, "EUR", 200_00)
    table = await Casino(db, registry, "aurora", "EUR").open(player_id)
    await table.bet("late-b1", "late-r1", 50_00)  # month A: GGR 50
    await age_everything(owner_db, 2)
    await apply_outbox(db)
    async with db.transaction() as uow:
        (stated_a,) = await statements.run_month(
            uow, "aurora", month_a, today=clock.today(), formula=FORMULA
        )
    # A bet of month A that reaches the read model after A's statement, and month B's own.
    await table.bet("late-b2", "late-r2", 20_00)
    await _age_latest_bet(owner_db, 2)
    await table.bet("late-b3", "late-r3", 10_00)
    await _age_latest_bet(owner_db, 1)
    await apply_outbox(db)

    async with db.transaction() as uow:
        (stated_b,) = await statements.run_month(
            uow, "aurora", month_b, today=clock.today(), formula=FORMULA
        )
    async with db.transaction() as uow:
        again = await statements.run_month(
            uow, "aurora", month_b, today=clock.today(), formula=FORMULA
        )

    assert (stated_a.ngr_minor, stated_a.revshare_minor, stated_a.total_minor) == (
        50_00, 15_00, 15_00,
    )  # fmt: skip
    # B: its own NGR 10 and A's late 20, at 30%: 9.00; A's paid statement is unchanged.
    assert (stated_b.ngr_minor, stated_b.adjustment_ngr_minor, stated_b.revshare_minor) == (
        10_00, 20_00, 9_00,
    )  # fmt: skip
    assert again == []
    assert await execute(
        db, "SELECT month, ngr_minor, adjustment_ngr_minor, total_minor "
        "FROM affiliate_statements WHERE affiliate_id = :a ORDER BY month",
        a=share.affiliate.id,
    ) == [(month_a, 50_00, 0, 15_00), (month_b, 10_00, 20_00, 9_00)]  # fmt: skip
    assert sorted(await _commissions(db)) == [
        (9_00, "affiliate_payable"),
        (15_00, "affiliate_payable"),
    ]


async def test_last_months_statements_wait_for_the_settle_delay(
    db: Database, owner_db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await affiliate(db, "Share Media", revshare_plan("50", carry=False), "share-1")
    player_id = await referred_player(db, registry, "share-1")
    await ledger_move(db, "aurora", player_id, "EUR", 40_00)
    table = await Casino(db, registry, "aurora", "EUR").open(player_id)
    await table.bet("s-b1", "s-r1", 20_00)
    await age_everything(owner_db, 1)
    await apply_outbox(db)
    first_day = clock.today().replace(day=1)
    # 10:00 UTC is the same day in Malta (aurora), Stockholm (northstar) and Tokyo (kumo).
    on_the_first = datetime.combine(first_day, time(10), UTC)

    monkeypatch.setattr(clock, "now", lambda: on_the_first)
    early = await statements.run_last_months(db, FORMULA, settle_days=1)
    monkeypatch.setattr(clock, "now", lambda: on_the_first + timedelta(days=1))
    settled = await statements.run_last_months(db, FORMULA, settle_days=1)

    assert (early, settled) == (0, 1)
    assert await execute(db, "SELECT month, ngr_minor FROM affiliate_statements") == [
        (statements.previous_month(first_day), 20_00)
    ]
