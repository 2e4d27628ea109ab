"""Weekly cashback: 10 % of a EUR 250 net loss pays EUR 25 once, however often the job
runs (the operator's CLI twice, then the scheduler's job)."""

from __future__ import annotations

import asyncio

import pytest

from domain.bonuses.cashback import Period
from domain.bonuses.errors import InvalidTerms
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from tests.web.bonuses.support import CREATE, SLOT, crm, depositing_player, sessions, stake_many
from tests.web.providers.conftest import assert_invariants, execute, wallets
from tests.web.test_cli import run_cli
from workers.scheduler import pay_last_weeks_cashback


async def test_ten_percent_of_a_250_weekly_net_loss_pays_25_once(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await crm(server, db)
    created = await staff.query(
        CREATE,
        {"i": {"kind": "CASHBACK", "name": "Weekly 10 %", "currency": "EUR",
               "terms": {"cashbackPercent": 10, "cashbackMaximum": "100.00"}}},
    )  # fmt: skip
    assert created.data["createBonusOffer"]["errors"] == []
    _player, player_id = await depositing_player(server, "300.00")
    slot = (await sessions(server, db, registry, player_id))[SLOT]
    await stake_many(slot, "loss", [1000] * 29)
    assert (await slot.bet("last", 1000, "r-last")).status == "RS_OK"
    assert (await slot.win("last-win", "last", 5000, "r-last")).status == "RS_OK"
    assert await wallets(db, player_id) == {"cash": 5000, "bonus": 0}  # net loss 250.00
    week = Period.of(clock.today()).name

    first = await asyncio.to_thread(run_cli, "bonuses", "cashback", "--period", week)
    second = await asyncio.to_thread(run_cli, "bonuses", "cashback", "--period", week)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr
    assert f"{week}: paid 1 players 2500 minor units" in first.stdout
    assert f"{week}: paid 0 players 0 minor units" in second.stdout
    assert await wallets(db, player_id) == {"cash": 7500, "bonus": 0}
    assert await execute(
        db, "SELECT count(*), sum(e.amount) FROM ledger_transactions t JOIN ledger_entries e "
        "ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id "
        "WHERE t.kind = 'bonus.cashback' AND a.player_id IS NOT NULL",
    ) == [(1, 2500)]  # fmt: skip
    await assert_invariants(db)
    await slot.aclose()


def test_a_period_is_an_iso_week_and_nothing_else() -> None:
    week = Period.parse("2026-W49")
    assert (week.start.isoformat(), week.end.isoformat()) == (
        "2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00",
    )  # fmt: skip
    for bad in ("2026-49", "2026-W54", "last week", ""):
        with pytest.raises(InvalidTerms):
            Period.parse(bad)


async def test_the_scheduler_job_pays_only_what_is_still_owed(db: Database) -> None:
    assert await pay_last_weeks_cashback(db) == 0
