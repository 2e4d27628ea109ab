"""The scheduler's ledger audit on real PostgreSQL: a clean ledger reports nothing; a
corrupted one (broken here with raw SQL, which no code path of the platform can do) is
logged at error level with the ids at fault and shows on the Prometheus gauge."""

from __future__ import annotations

import logging
import time
import uuid

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.support import create_player
from web.observability import metrics_payload
from workers.scheduler import JOBS, LEDGER_AUDIT_INTERVAL_S, audit_ledger

BRAND = "aurora"
CHECKS = ("unbalanced_transactions", "balance_mismatches", "negative_balances", "duplicate_keys")


async def _funded_player(db: Database, registry: BrandRegistry) -> tuple[int, int, int]:
    """A player with 50.00 cash; returns (cash account, clearing account, transaction id)."""
    player_id: uuid.UUID = await create_player(db, registry)
    async with db.transaction() as uow:
        cash = await wallet_id(uow, BRAND, player_id, WalletKind.CASH, "EUR")
        clearing = await house_account_id(uow, BRAND, HouseAccountKind.PSP_CLEARING, "EUR")
        posting = await transfer(
            uow, brand=BRAND, kind="deposit", source=clearing, destination=cash,
            amount_minor=5_000, scope=None, key=None,
        )  # fmt: skip
    return cash, clearing, posting.transaction_id


async def _corrupt(db: Database, statement: str, **params: object) -> None:
    async with db.transaction() as uow:
        await uow.session.execute(text(statement), params)


def _gauges() -> dict[str, float | None]:
    return {
        check: REGISTRY.get_sample_value("stakehouse_ledger_invariant_violations", {"check": check})
        for check in CHECKS
    }


def _audit_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "workers.scheduler" and r.levelno == logging.ERROR
    ]


async def test_the_audit_is_a_scheduled_job() -> None:
    (job,) = [job for job in JOBS if job.run is audit_ledger]

    assert job.name == "wallets.audit_ledger"
    assert job.interval_s == LEDGER_AUDIT_INTERVAL_S == 300


async def test_a_clean_ledger_reports_zero_on_every_check(
    db: Database, registry: BrandRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="workers.scheduler")
    await _funded_player(db, registry)
    started = time.time()

    found = await audit_ledger(db)

    assert found == 0
    assert _gauges() == dict.fromkeys(CHECKS, 0.0)
    assert _audit_errors(caplog) == []
    last_run = REGISTRY.get_sample_value("stakehouse_ledger_audit_last_run_timestamp_seconds")
    assert last_run is not None
    assert started <= last_run <= time.time()


async def test_a_corrupted_cached_balance_is_logged_and_counted(
    db: Database, registry: BrandRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="workers.scheduler")
    cash, _, _ = await _funded_player(db, registry)
    await _corrupt(db, "UPDATE ledger_accounts SET balance = balance + 1 WHERE id = :id", id=cash)

    found = await audit_ledger(db)

    assert found == 1
    assert _gauges() == {**dict.fromkeys(CHECKS, 0.0), "balance_mismatches": 1.0}
    (record,) = _audit_errors(caplog)
    assert record.check == "balance_mismatches"  # type: ignore[attr-defined]
    assert record.ids == [cash]  # type: ignore[attr-defined]
    assert (
        record.getMessage() == f"ledger invariant balance_mismatches violated by 1 rows: [{cash}]"
    )
    # What /metrics serves (the API's, or the scheduler process's own endpoint).
    body, _ = metrics_payload()
    assert b'stakehouse_ledger_invariant_violations{check="balance_mismatches"} 1.0' in body


async def test_an_unbalanced_entry_is_logged_and_counted(
    db: Database, registry: BrandRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="workers.scheduler")
    _, clearing, transaction_id = await _funded_player(db, registry)
    # A house account keeps no cached balance: only the sum per transaction breaks.
    await _corrupt(
        db,
        "INSERT INTO ledger_entries (transaction_id, account_id, amount, currency) "
        "VALUES (:transaction, :account, 7, 'EUR')",
        transaction=transaction_id,
        account=clearing,
    )

    found = await audit_ledger(db)

    assert found == 1
    assert _gauges() == {**dict.fromkeys(CHECKS, 0.0), "unbalanced_transactions": 1.0}
    (record,) = _audit_errors(caplog)
    assert record.check == "unbalanced_transactions"  # type: ignore[attr-defined]
    assert record.ids == [transaction_id]  # type: ignore[attr-defined]


async def test_the_gauge_returns_to_zero_once_the_ledger_is_repaired(
    db: Database, registry: BrandRegistry
) -> None:
    cash, _, _ = await _funded_player(db, registry)
    await _corrupt(db, "UPDATE ledger_accounts SET balance = 4000 WHERE id = :id", id=cash)
    assert await audit_ledger(db) == 1
    assert _gauges()["balance_mismatches"] == 1.0

    await _corrupt(db, "UPDATE ledger_accounts SET balance = 5000 WHERE id = :id", id=cash)

    assert await audit_ledger(db) == 0
    assert _gauges() == dict.fromkeys(CHECKS, 0.0)
