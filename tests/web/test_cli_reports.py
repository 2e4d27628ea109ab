"""`stakehouse reports rebuild --from --to`, as an operator runs it: it fills the read
model from the ledger for the range (here: activity whose events were never applied), and
refuses a bad range before touching anything."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.reporting.test_read_model import expected_cells, reported_cells, seed
from tests.web.test_cli import run_cli


async def test_rebuild_fills_the_read_model_from_the_ledger_and_twice_is_the_same(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    assert await reported_cells(db) == {}
    # Every brand's business day of now lies within a day of UTC's.
    today = datetime.now(UTC).date()
    span = (
        "--from",
        (today - timedelta(days=1)).isoformat(),
        "--to",
        (today + timedelta(days=1)).isoformat(),
    )

    first = await asyncio.to_thread(run_cli, "reports", "rebuild", *span)
    once = await reported_cells(db)
    second = await asyncio.to_thread(run_cli, "reports", "rebuild", *span)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr
    assert "rebuilt" in first.stdout
    assert once == await expected_cells(db)
    assert await reported_cells(db) == once


async def test_rebuild_refuses_a_range_backwards_or_over_400_days() -> None:
    backwards = await asyncio.to_thread(
        run_cli, "reports", "rebuild", "--from", "2026-02-01", "--to", "2026-01-01"
    )
    too_long = await asyncio.to_thread(
        run_cli, "reports", "rebuild", "--from", "2024-01-01", "--to", "2026-01-01"
    )

    assert (backwards.returncode, too_long.returncode) == (2, 2)
    assert "at most 400 days" in backwards.stderr
