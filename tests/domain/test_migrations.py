"""Migrations: head creates exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from domain.kernel.db import Database
from domain.models import metadata


async def test_models_equal_the_migrated_schema(db: Database) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)

    assert differences == []


async def test_the_audit_log_refuses_updates_and_deletes(owner_db: Database) -> None:
    # Even to its owner (the application role may not try: tests/kernel/test_roles.py).
    async with owner_db.engine.connect() as connection:
        for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
            transaction = await connection.begin()
            try:
                await connection.execute(text(statement))
                raised = False
            except Exception as error:  # the database's own refusal
                raised = "append-only" in str(error)
            await transaction.rollback()
            assert raised, statement
