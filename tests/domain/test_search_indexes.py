"""The back office's searches read indexes, not the whole table.

Each search runs as the pages run it (audit log by actor, subject, time and page; deposits
by brand, player, time and page); the statement it sent is then EXPLAINed and the plan must
name the index made for that shape. The audit log holds a year of analysed rows, so its
plans are the planner's own; the deposits table is tiny, so sequential scans are priced out
there (a missing index then still fails here rather than in production).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from domain.accounts import audit_log
from domain.accounts.audit_log import AuditFilter
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.paging import encode_cursor
from domain.payments.service import reads
from domain.payments.service.reads import DepositFilter, QueueCursor
from tests.domain.payments.support import deposited, staff
from tests.support import create_player, explained, selects_of

_ANY_TIME = datetime(2026, 1, 1, tzinfo=UTC)
_YEAR_AGO = _ANY_TIME - timedelta(days=365)


async def _plan_of(
    db: Database,
    search: Callable[[UnitOfWork], Awaitable[object]],
    table: str,
    *,
    seqscan: bool = False,
) -> str:
    """The plan of the (last) statement on `table` that `search` sent; sequential scans
    priced out unless `seqscan` (the table then holds enough rows, analysed, to plan on
    its own statistics)."""
    with selects_of(db) as statements:
        async with db.uow() as uow:
            await search(uow)
    statement, parameters = next(s for s in reversed(statements) if f"FROM {table}" in s[0])
    return await explained(db, statement, parameters, seqscan=seqscan)


async def test_each_audit_search_reads_its_index(db: Database, owner_db: Database) -> None:
    # A year of rows (on a chain of their own), one in twenty of this brand, so a brand's
    # page and a range of days are each worth their index. Appended as the platform appends
    # (one stakehouse_audit_record call each, so each links to the one before): the log
    # outlives the test, and rows with made-up hashes broke every later chain verification.
    async with owner_db.engine.begin() as connection:
        await connection.exec_driver_sql(
            "SELECT stakehouse_audit_record(99, $1::timestamptz + i * interval '3 hours',"
            " 'system', NULL, CASE WHEN i % 20 = 0 THEN 'aurora' ELSE 'elsewhere' END, 'test',"
            " 'player', i::text, NULL, NULL, NULL)"
            " FROM generate_series(1, 3000) AS i",
            (_YEAR_AGO,),
        )
        await connection.exec_driver_sql("ANALYZE audit_log")
    risk = dataclasses.replace(staff("risk"), staff_brands=("aurora",))
    searches = {
        "ix_audit_log_actor_id": AuditFilter(actor=str(uuid.uuid4())),
        "ix_audit_log_subject_id": AuditFilter(subject_type="player", subject_id="x"),
        "ix_audit_log_brand_at": AuditFilter(at_from=_YEAR_AGO, at_to=_YEAR_AGO + timedelta(20)),
    }
    plans = {}
    for index, found in searches.items():

        async def search(uow: UnitOfWork, found: AuditFilter = found) -> object:
            return await audit_log.search(
                uow,
                risk,
                "aurora",
                found,
                first=50,
                after=encode_cursor(audit_log.CURSOR_VERSION, 10**6),
            )

        plans[index] = await _plan_of(db, search, "audit_log", seqscan=True)

    # The brand's page without a filter: its newest rows, in the page's order.
    async def brand_page(uow: UnitOfWork) -> object:
        return await audit_log.search(uow, risk, "aurora", AuditFilter(), first=50, after=None)

    unfiltered = await _plan_of(db, brand_page, "audit_log", seqscan=True)

    missed = {index: plan for index, plan in plans.items() if index not in plan}
    assert missed == {}, "\n\n".join(f"{i}:\n{p}" for i, p in missed.items())
    # Which index depends on the brand's share of the log and its size (where most rows are
    # the brand's, the primary key read backwards is as good; a small brand's rows are
    # fetched by brand and sorted): never a scan of the whole log.
    assert "ix_audit_log_brand_id" in unfiltered or "Backward using pk_audit_log" in unfiltered, (
        unfiltered
    )
    assert "Seq Scan on audit_log" not in unfiltered, unfiltered


async def test_each_deposit_search_reads_its_index(db: Database, registry: BrandRegistry) -> None:
    player_id = await create_player(db, registry, email="deposit-index@example.com")
    await deposited(db, player_id, 10_00)
    finance = staff("finance")
    after = QueueCursor(_ANY_TIME, uuid.uuid4())
    searches = {
        "ix_payments_deposit_search": DepositFilter(at_from=_ANY_TIME - timedelta(30)),
        "ix_payments_player_deposits": DepositFilter(player_id=player_id),
    }
    plans = {}
    for index, found in searches.items():

        async def search(uow: UnitOfWork, found: DepositFilter = found) -> object:
            return await reads.search_deposits(
                uow, finance, brand="aurora", found=found, first=50, after=after
            )

        plans[index] = await _plan_of(db, search, "payments")

    missed = {index: plan for index, plan in plans.items() if index not in plan}
    assert missed == {}, "\n\n".join(f"{i}:\n{p}" for i, p in missed.items())
