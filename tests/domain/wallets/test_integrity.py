"""Tamper evidence: what the owner role changes behind the platform's back (the application
role cannot, tests/kernel/test_roles.py) is named by `stakehouse audit verify` and by the
scheduled verifier, which exports it as a metric."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.kernel import audit
from domain.kernel.db import Database
from domain.wallets import integrity
from domain.wallets.integrity import Finding
from tests.workers.test_ledger_audit import _funded_player
from workers import scheduler
from workers.scheduler import JOBS, verify_integrity

NOW = timedelta(0)  # seal what is committed, without waiting for the settle margin


async def _tamper(owner_db: Database, *statements: str, **params: object) -> None:
    async with owner_db.transaction() as uow:
        for statement in statements:
            await uow.session.execute(text(statement), params)


async def _verify(db: Database) -> Finding | None:
    async with db.uow() as uow:
        return await integrity.verify(uow)


async def _advance(db: Database) -> integrity.Progress:
    async with db.transaction() as uow:
        return await integrity.advance(uow, settle=NOW)


async def _cli_verify() -> tuple[int, str]:
    """`stakehouse audit verify` in a process of its own, as the application role."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "web.cli", "audit", "verify",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=dict(os.environ),
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode().strip()


async def test_an_untouched_ledger_verifies(db: Database, registry: BrandRegistry) -> None:
    await _funded_player(db, registry)
    await _funded_player(db, registry)

    assert await _verify(db) is None
    assert await _cli_verify() == (
        0,
        "audit log, ledger digests and checkpoints verified: no tampering found",
    )


async def test_verify_names_an_entry_whose_amount_the_owner_changed(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    await _funded_player(db, registry)
    _, _, forged = await _funded_player(db, registry)
    await _funded_player(db, registry)
    # Both legs doubled: the transaction still balances, so only the digest can tell.
    await _tamper(
        owner_db,
        "UPDATE ledger_entries SET amount = amount * 2 WHERE transaction_id = :t",
        t=forged,
    )

    assert await _verify(db) == Finding(
        "ledger_transactions", forged, "its digest does not match its entries"
    )
    assert await _cli_verify() == (
        1,
        f"tampered: ledger_transactions row {forged}: its digest does not match its entries",
    )


async def test_verify_names_an_audit_row_the_owner_rewrote(
    db: Database, owner_db: Database
) -> None:
    subject = str(uuid.uuid4())
    async with db.transaction() as uow:
        target = await audit.record(
            uow, actor_kind="system", actor_id=None, action="test.integrity",
            subject_type="player", subject_id=subject, brand="aurora", reason="original",
        )  # fmt: skip
    rewrite = (
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "UPDATE audit_log SET reason = :reason WHERE id = :id",
        "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only",
    )
    await _tamper(owner_db, *rewrite, reason="forged", id=target)
    try:
        found = await _verify(db)
        code, output = await _cli_verify()
    finally:
        # audit_log outlives each test: put the row back for the others.
        await _tamper(owner_db, *rewrite, reason="original", id=target)

    assert found == Finding("audit_log", target, "its hash does not match its content or chain")
    assert (code, output) == (
        1,
        f"tampered: audit_log row {target}: its hash does not match its content or chain",
    )
    assert await _verify(db) is None


async def test_a_transaction_removed_below_the_watermark_breaks_its_checkpoint(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    _, _, first = await _funded_player(db, registry)
    _, _, removed = await _funded_player(db, registry)
    progress = await _advance(db)
    assert (progress.ledger_transactions, progress.ledger_last_id, progress.finding) == (
        2,
        removed,
        None,
    )
    async with db.uow() as uow:
        checkpoint = await uow.session.scalar(text("SELECT max(id) FROM integrity_checkpoints"))
    # Every row of the transaction goes, so its own digest cannot tell: the seal can.
    await _tamper(
        owner_db,
        "DELETE FROM ledger_entries WHERE transaction_id = :t",
        "DELETE FROM ledger_transactions WHERE id = :t",
        t=removed,
    )

    assert await _verify(db) == Finding(
        "integrity_checkpoints",
        checkpoint,
        f"ledger transactions {first}..{removed} were added or removed after this checkpoint "
        "sealed them",
    )


async def test_the_scheduled_verifier_advances_and_reports_a_bad_row_until_repaired(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    (job,) = [job for job in JOBS if job.run is verify_integrity]
    assert (job.name, job.interval_s) == ("wallets.verify_integrity", 60)
    _, _, sealed = await _funded_player(db, registry)
    first = await _advance(db)
    _, _, forged = await _funded_player(db, registry)
    await _funded_player(db, registry)
    await _tamper(
        owner_db,
        "UPDATE ledger_entries SET amount = amount * 3 WHERE transaction_id = :t",
        t=forged,
    )

    second = await _advance(db)
    third = await _advance(db)

    assert (first.ledger_transactions, first.ledger_last_id, first.finding) == (1, sealed, None)
    # It stops at the last good row, so the bad one is reported on every run.
    bad = Finding("ledger_transactions", forged, "its digest does not match its entries")
    assert (second.ledger_transactions, second.ledger_last_id, second.finding) == (0, sealed, bad)
    assert (third.ledger_transactions, third.finding) == (0, bad)


async def test_the_verifier_logs_the_bad_row_and_exports_it_as_a_gauge(
    db: Database,
    owner_db: Database,
    registry: BrandRegistry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.ERROR, logger="workers.scheduler")
    monkeypatch.setattr(scheduler, "INTEGRITY_SETTLE", NOW)
    _, _, sealed = await _funded_player(db, registry)
    _, _, forged = await _funded_player(db, registry)
    await _tamper(
        owner_db,
        "UPDATE ledger_entries SET amount = amount * 2 WHERE transaction_id = :t",
        t=forged,
    )

    await verify_integrity(db)

    def gauge(table: str) -> float | None:
        return REGISTRY.get_sample_value("stakehouse_integrity_bad_rows", {"table": table})

    def watermark(table: str) -> float | None:
        return REGISTRY.get_sample_value("stakehouse_integrity_watermark_id", {"table": table})

    assert (gauge("ledger_transactions"), gauge("audit_log")) == (1.0, 0.0)
    assert watermark("ledger_transactions") == sealed  # stopped before the bad row
    assert [r.getMessage() for r in caplog.records if r.name == "workers.scheduler"] == [
        f"tamper evidence fails: ledger_transactions row {forged}: "
        "its digest does not match its entries"
    ]


async def test_sealing_stops_at_the_first_transaction_that_has_not_settled(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    _, _, committing = await _funded_player(db, registry)
    _, _, later = await _funded_player(db, registry)
    async with db.transaction() as uow:
        waiting = await integrity.advance(uow)  # the default margin: both are too young
    # The lower id plays a transaction still committing (a timestamp after the margin):
    # the higher one must not be sealed past it, or the lower would never be verified.
    await _tamper(
        owner_db,
        "UPDATE ledger_transactions SET created_at = now() + interval '1 hour' WHERE id = :t",
        t=committing,
    )

    progress = await _advance(db)

    assert (waiting.ledger_transactions, waiting.ledger_last_id) == (0, 0)
    assert (progress.ledger_transactions, progress.ledger_last_id, progress.finding) == (0, 0, None)
    assert later > committing
