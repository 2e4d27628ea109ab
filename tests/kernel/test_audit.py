"""The audit log: rows spread over chains by subject, appended concurrently without losing
a link, and any edit of a row breaks its chain."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from domain.kernel import audit
from domain.kernel.audit import AuditEntry, verify_chain
from domain.kernel.db import Database, UnitOfWork
from tests.audit_chain import check_audit_chain


async def _record(db: Database, subject_id: str, number: int) -> None:
    async with db.transaction() as uow:
        await audit.record(
            uow,
            actor_kind="staff",
            actor_id=uuid.UUID(int=number),
            action="test.action",
            subject_type="player",
            subject_id=subject_id,
            brand="aurora",
            reason=f'reason {number} with ünïcode and "quotes"',
            before={"balance_minor": number, "at": "x"},
            after={"balance_minor": number + 1, "nested": {"b": 1, "a": [1, 2]}},
        )


async def test_concurrent_appends_keep_every_chain_intact(db: Database) -> None:
    subjects = [str(uuid.uuid4()) for _ in range(8)]
    before = await _count(db)

    await asyncio.gather(*(_record(db, subjects[n % 8], n) for n in range(80)))

    async with db.uow() as uow:
        assert await verify_chain(uow) is None
        chains = await uow.session.scalar(
            select(func.count(func.distinct(AuditEntry.chain))).where(
                AuditEntry.subject_id.in_(subjects)
            )
        )
        per_subject = await uow.session.execute(
            select(func.count(func.distinct(AuditEntry.chain)))
            .where(AuditEntry.subject_id.in_(subjects))
            .group_by(AuditEntry.subject_id)
        )
    assert await _count(db) == before + 80
    assert chains == len({audit.chain_of("player", subject) for subject in subjects})
    assert {count for (count,) in per_subject} == {1}  # a subject's history is one chain


async def test_an_edited_row_breaks_its_chain(db: Database, owner_db: Database) -> None:
    subject = str(uuid.uuid4())
    for number in range(3):
        await _record(db, subject, number)
    # The owner: the application role may neither disable the trigger nor update.
    async with owner_db.transaction() as uow:
        target = await uow.session.scalar(
            select(AuditEntry.id).where(AuditEntry.subject_id == subject).order_by(AuditEntry.id)
        )
        # The append-only trigger refuses edits; a superuser disabling it is the threat model.
        await uow.session.execute(
            text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        )
        await uow.session.execute(
            text("UPDATE audit_log SET reason = 'forged' WHERE id = :id"), {"id": target}
        )
        await uow.session.execute(
            text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        )

    async with db.uow() as uow:
        broken = await verify_chain(uow)

    assert broken == target
    async with owner_db.transaction() as uow:
        await uow.session.execute(
            text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        )
        await uow.session.execute(
            text("UPDATE audit_log SET reason = :r WHERE id = :id"),
            {"r": 'reason 0 with ünïcode and "quotes"', "id": target},
        )
        await uow.session.execute(
            text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        )
    async with db.uow() as uow:
        assert await verify_chain(uow) is None


async def _count(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_appends_refuse_a_stale_snapshot_and_survive_old_string_settings(
    db: Database,
) -> None:
    subject = str(uuid.uuid4())
    async with db.uow() as uow:
        await uow.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        with pytest.raises(DBAPIError, match="READ COMMITTED"):
            await _append(uow, subject)
    async with db.transaction() as uow:
        await uow.session.execute(text("SET LOCAL standard_conforming_strings = off"))
        await uow.session.execute(text("SET LOCAL TimeZone = 'Asia/Kathmandu'"))
        await _append(uow, subject)

    async with db.uow() as uow:
        assert await verify_chain(uow) is None


async def _append(uow: UnitOfWork, subject_id: str) -> None:
    await audit.record(
        uow,
        actor_kind="system",
        actor_id=None,
        action="test.settings",
        subject_type="player",
        subject_id=subject_id,
        brand=None,
    )


async def test_the_suites_guard_names_a_row_written_around_the_function_and_an_edited_head(
    db: Database, owner_db: Database
) -> None:
    """tests/audit_chain.py: what the suite checks after each test, since audit_log is kept
    and one bad row fails every later verification of the chain in that process."""
    subject = str(uuid.uuid4())
    await _record(db, subject, 7)
    async with owner_db.engine.begin() as connection:
        since = (await check_audit_chain(connection, 0)).newest
        # A row inserted directly, with made-up hashes, on a chain of its own.
        forged = await connection.scalar(
            text(
                "INSERT INTO audit_log (at, actor_kind, action, subject_type, subject_id,"
                " prev_hash, hash, chain, scheme) VALUES (now(), 'system', 'test.forged',"
                " 'player', :subject, decode(repeat('00', 32), 'hex'),"
                " sha256(convert_to(:subject, 'UTF8')), 98, 2) RETURNING id"
            ),
            {"subject": subject},
        )
    async with owner_db.engine.connect() as connection:
        after_forging = await check_audit_chain(connection, since)
    await _owner_statements(owner_db, "DELETE FROM audit_log WHERE id = :id", id=forged)
    # The newest row of a chain edited by the owner (as the tamper tests do) is found
    # though it is older than the check's watermark.
    head = await _head_of(db, subject)
    await _owner_statements(
        owner_db, "UPDATE audit_log SET reason = 'forged' WHERE id = :id", id=head
    )
    async with owner_db.engine.connect() as connection:
        after_editing = await check_audit_chain(connection, since)
    await _owner_statements(
        owner_db,
        "UPDATE audit_log SET reason = :r WHERE id = :id",
        id=head,
        r='reason 7 with ünïcode and "quotes"',
    )
    async with owner_db.engine.connect() as connection:
        restored = await check_audit_chain(connection, 0)

    assert (after_forging.broken, after_forging.newest) == (forged, forged)
    assert after_editing.broken == head
    assert restored.broken is None


async def _head_of(db: Database, subject_id: str) -> int:
    async with db.uow() as uow:
        head = await uow.session.scalar(
            select(func.max(AuditEntry.id)).where(AuditEntry.subject_id == subject_id)
        )
    assert head is not None
    return int(head)


async def _owner_statements(owner_db: Database, statement: str, **params: object) -> None:
    """The owner switching the append-only trigger off around one statement."""
    async with owner_db.transaction() as uow:
        await uow.session.execute(
            text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        )
        await uow.session.execute(text(statement), params)
        await uow.session.execute(
            text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        )
