"""Database roles: the application role (what the API, workers and scheduler connect as)
can read and append the ledger and the audit log but cannot change or remove a row,
disable the audit trigger or run any DDL; migrations run as the owner."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from domain.brands.service import BrandRegistry
from domain.kernel import roles
from domain.kernel.db import Database
from domain.kernel.migrate import upgrade
from domain.wallets import integrity
from tests.workers.test_ledger_audit import _funded_player
from web import embedded

# Every way the application role could rewrite history, as the owner could.
REFUSED = (
    "UPDATE ledger_entries SET amount = amount + 1",
    "DELETE FROM ledger_entries",
    "UPDATE ledger_transactions SET kind = 'forged'",
    "DELETE FROM ledger_transactions",
    "UPDATE audit_log SET reason = 'forged'",
    "DELETE FROM audit_log",
    "TRUNCATE ledger_entries",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "ALTER TABLE ledger_entries DROP CONSTRAINT ck_ledger_entries_amount_not_zero",
    "DROP FUNCTION stakehouse_audit_append_only() CASCADE",
    "CREATE TABLE shadow_ledger (id bigint)",
    "UPDATE integrity_checkpoints SET ledger_digest = '\\x00'",
    "SET ROLE stakehouse_owner",
)
_SNAPSHOT = text(
    "SELECT (SELECT count(*) FROM ledger_entries), (SELECT sum(amount) FILTER (WHERE amount > 0)"
    " FROM ledger_entries), (SELECT count(*) FROM ledger_transactions),"
    " (SELECT string_agg(kind, ',' ORDER BY id) FROM ledger_transactions),"
    " (SELECT count(*) FROM audit_log)"
)


async def _snapshot(db: Database) -> tuple[object, ...]:
    async with db.uow() as uow:
        return tuple((await uow.session.execute(_SNAPSHOT)).one())


@pytest.mark.parametrize("statement", REFUSED)
async def test_the_app_role_cannot_alter_the_ledger_or_the_audit_log(
    db: Database, registry: BrandRegistry, statement: str
) -> None:
    await _funded_player(db, registry)
    before = await _snapshot(db)

    async with db.uow() as uow:
        with pytest.raises(DBAPIError) as refused:
            await uow.session.execute(text(statement))

    assert getattr(refused.value.orig, "sqlstate", None) == "42501"  # insufficient_privilege
    assert await _snapshot(db) == before


async def test_the_app_role_is_neither_superuser_nor_owner(db: Database) -> None:
    async with db.uow() as uow:
        row = (
            await uow.session.execute(
                text(
                    "SELECT current_user, r.rolsuper, r.rolcreaterole, r.rolcreatedb,"
                    " (SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
                    "   AND c.relowner = r.oid) AS owned"
                    " FROM pg_roles r WHERE r.rolname = current_user"
                )
            )
        ).one()

    assert tuple(row) == (roles.APP_ROLE, False, False, False, 0)


async def test_every_table_grants_the_app_role_exactly_its_class(owner_db: Database) -> None:
    # A new table gets its grants at the next migration; an append-only table must be
    # named in roles.APPEND_ONLY_TABLES, or it gets UPDATE and DELETE (and this list shows).
    async with owner_db.uow() as uow:
        rows = await uow.session.execute(
            text(
                "SELECT t.tablename, string_agg(p.privilege_type, ', ' ORDER BY p.privilege_type)"
                " FROM pg_tables t LEFT JOIN information_schema.role_table_grants p"
                "   ON p.table_name = t.tablename AND p.grantee = :role"
                " WHERE t.schemaname = 'public' GROUP BY t.tablename"
            ),
            {"role": roles.APP_ROLE},
        )
        granted: dict[str, str] = dict(rows.all())  # type: ignore[arg-type]
    expected = {
        "SELECT": "SELECT",
        "SELECT, INSERT": "INSERT, SELECT",
        "SELECT, INSERT, UPDATE, DELETE": "DELETE, INSERT, SELECT, UPDATE",
    }

    assert granted == {table: expected[roles.table_privileges(table)] for table in granted}
    assert {t for t, p in granted.items() if p == "INSERT, SELECT"} == roles.APPEND_ONLY_TABLES


def test_migrations_grant_only_when_the_app_has_a_role_of_its_own() -> None:
    owner = "postgresql://owner:secret@db:5432/stakehouse"
    app = "postgresql://app:secret@db:5432/stakehouse"

    assert roles.migration_target(app, owner) == (owner, "app")
    assert roles.migration_target(app, None) == (app, None)
    assert roles.migration_target(owner, owner) == (owner, None)
    assert roles.role_url(owner, "stakehouse_app", "p@ss") == (
        "postgresql://stakehouse_app:p%40ss@db:5432/stakehouse"
    )


async def test_a_database_migrated_before_the_roles_is_adopted_and_keeps_its_evidence() -> None:
    # An old `stakehouse dev` folder: migrated to 0013 by the superuser, one transaction
    # posted before digests existed.
    from tests.conftest import _ADMIN_URL

    name = f"stakehouse_adopt_{uuid.uuid4().hex[:8]}"
    await embedded.ensure_database(_ADMIN_URL, name)
    try:
        await asyncio.to_thread(upgrade, embedded.with_database(_ADMIN_URL, name), "0013")
        connection = await asyncpg.connect(embedded.with_database(_ADMIN_URL, name))
        try:
            await connection.execute(_OLD_POSTING)
        finally:
            await connection.close()

        owner_url, app_url = await roles.ensure_roles(_ADMIN_URL, name)
        await asyncio.to_thread(upgrade, owner_url, app_role=roles.APP_ROLE)

        app = Database.connect(app_url, pool_size=1)
        try:
            async with app.uow() as uow:
                assert await integrity.verify(uow) is None  # the backfilled digest holds
                owners = await uow.session.scalar(
                    text(
                        "SELECT array_agg(DISTINCT pg_get_userbyid(relowner)) FROM pg_class"
                        " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S')"
                    )
                )
            assert owners == [roles.OWNER_ROLE]
            async with app.uow() as uow:
                with pytest.raises(DBAPIError, match="permission denied"):
                    await uow.session.execute(text("UPDATE ledger_entries SET amount = 1"))
        finally:
            await app.dispose()
    finally:
        await embedded.drop_database(_ADMIN_URL, name)


_OLD_POSTING = """
INSERT INTO brands (slug, name, jurisdiction) VALUES ('old', 'Old', 'mga');
INSERT INTO ledger_accounts (brand, kind, currency, tracks_balance)
VALUES ('old', 'psp_clearing', 'EUR', false), ('old', 'house_revenue', 'EUR', false);
SELECT stakehouse_post('old', NULL, NULL, '\\x00', 'test', '{"a": 1}',
                       ARRAY(SELECT id FROM ledger_accounts ORDER BY id), ARRAY[-5, 5]::bigint[]);
"""
