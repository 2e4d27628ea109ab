"""Database roles: the owner, which migrations run as, and the application role, which the
API, workers and scheduler connect as.

The application role is neither owner nor superuser: it cannot run DDL (so no `ALTER TABLE
... DISABLE TRIGGER`), and on append-only tables it holds only INSERT and SELECT, so even
a compromised process cannot rewrite the ledger or the audit log. Grants are converged on
every migration run (`apply_grants`, called from the Alembic environment), so a table a
migration adds gets its grants in the same run, and one list below says which tables are
append-only.

In production both roles exist already (the DBA's, or the managed database's users) and
come as two URLs: STAKEHOUSE_MIGRATION_DATABASE_URL (owner) and STAKEHOUSE_DATABASE_URL
(application). `stakehouse dev`, the embedded server and the tests have one superuser URL:
they create both roles with `ensure_roles` and use them.
"""

from __future__ import annotations

import contextlib
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
from sqlalchemy import Connection, text

OWNER_ROLE: Final = "stakehouse_owner"
APP_ROLE: Final = "stakehouse_app"
# Only for the roles this module creates on a dev or test server (the embedded one trusts
# its socket and ignores it); production roles are made and secreted elsewhere.
DEV_ROLE_PASSWORD: Final = "stakehouse-dev-only"  # noqa: S105

# Rows here are written once and never changed or removed by the platform: the application
# role may only read and append. The owner (migrations, an operator at a psql prompt) can
# still change them: the ledger's digests and the audit chains make that visible
# (`stakehouse audit verify`).
APPEND_ONLY_TABLES: Final = frozenset(
    {
        # What risk staff did about an AML alert.
        "aml_interactions",
        "audit_log",
        # What the bonus engine flagged to risk staff.
        "bonus_abuse_flags",
        # Every saved version of a bonus offer's terms.
        "bonus_offer_versions",
        # One row per cashback paid (offer, player, period).
        "bonus_cashback_payouts",
        "integrity_checkpoints",
        # One row per stake that earned loyalty points.
        "loyalty_earnings",
        # Every KYC decision received from a provider or taken by risk staff.
        "kyc_decisions",
        "ledger_entries",
        "ledger_transactions",
        "processed_messages",
        # Who entered or left a segment when ("was this player in it at T").
        "segment_membership_changes",
        # Each feed message applied, once (the feed's dedup and its history).
        "sportsbook_feed_messages",
        # Support chat transcripts: what the player and the agents wrote stays as written.
        "support_messages",
        # The theme editor's palettes and their publications (a rollback publishes again).
        "theme_publications",
        "theme_versions",
        # Logos and favicons uploaded in the theme editor (a version names the ones it uses).
        "theme_assets",
        # Staff notes on a player's profile (a correction is a new note).
        "player_notes",
    }
)
# Read by `alembic current`; written only by migrations.
READ_ONLY_TABLES: Final = frozenset({"alembic_version"})

# Duplicate role (42710) or, when two processes create it at the same instant, the unique
# index of pg_authid (23505): either way the role exists now.
_ALREADY_EXISTS = (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError)


def role_url(url: str, role: str, password: str = DEV_ROLE_PASSWORD) -> str:
    """`url` with its user and password replaced (host, port, database and query kept)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(role)}:{quote(password)}@{host}"))


def migration_target(
    database_url: str, migration_database_url: str | None
) -> tuple[str, str | None]:
    """Where migrations run and which role they grant to: the owner's URL and the
    application's role. With one URL (or both naming the same user): that URL and no
    grants, so the app is the owner and nothing protects the ledger from it; acceptable
    only for a throwaway database."""
    if migration_database_url is None:
        return database_url, None
    app_role = urlsplit(database_url).username
    if app_role == urlsplit(migration_database_url).username:
        return migration_database_url, None
    return migration_database_url, app_role


async def ensure_roles(admin_url: str, database: str) -> tuple[str, str]:
    """On the server of the superuser `admin_url`: create the owner and application roles
    unless they exist (cluster-wide, so safe against concurrent test processes), make the
    owner own `database` and everything already in its schema. Returns the (owner URL,
    application URL) of `database`."""
    connection = await asyncpg.connect(admin_url)
    try:
        for role, options in ((OWNER_ROLE, ""), (APP_ROLE, " NOCREATEDB NOCREATEROLE")):
            with contextlib.suppress(*_ALREADY_EXISTS):
                await connection.execute(
                    f"CREATE ROLE {role} LOGIN NOSUPERUSER{options} PASSWORD '{DEV_ROLE_PASSWORD}'"
                )
        await connection.execute(f'ALTER DATABASE "{database}" OWNER TO {OWNER_ROLE}')
    finally:
        await connection.close()
    database_url = with_database(admin_url, database)
    await _adopt_objects(database_url)
    return role_url(database_url, OWNER_ROLE), role_url(database_url, APP_ROLE)


async def _adopt_objects(database_url: str) -> None:
    """A database migrated before the roles existed (an old `stakehouse dev` folder) has
    its objects owned by the superuser: hand them to the owner, so migrations can go on."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(f"ALTER SCHEMA public OWNER TO {OWNER_ROLE}")
        rows = await connection.fetch(
            """
            SELECT format('ALTER %s %s OWNER TO %I', kind, name, $1::text) AS statement
              FROM (
                SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                      ELSE 'TABLE' END AS kind,
                       c.oid::regclass::text AS name, c.relowner AS owner
                  FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace
                   AND c.relkind IN ('r', 'p', 'v', 'S')
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                    WHERE d.classid = 'pg_class'::regclass
                                      AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
                UNION ALL
                SELECT 'TYPE', t.oid::regtype::text, t.typowner
                  FROM pg_type t
                 WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                    WHERE d.classid = 'pg_type'::regclass
                                      AND d.objid = t.oid AND d.deptype = 'e')
                UNION ALL
                SELECT 'FUNCTION', p.oid::regprocedure::text, p.proowner
                  FROM pg_proc p
                 WHERE p.pronamespace = 'public'::regnamespace
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                    WHERE d.classid = 'pg_proc'::regclass
                                      AND d.objid = p.oid AND d.deptype = 'e')
              ) AS o
             WHERE o.owner <> $1::regrole
            """,
            OWNER_ROLE,
        )
        for row in rows:
            await connection.execute(row["statement"])
        # Extensions (pg_trgm) stay the superuser's: trusted extensions need no owner change.
    finally:
        await connection.close()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def apply_grants(connection: Connection, app_role: str) -> None:
    """Give `app_role` exactly what the platform needs on every table of the schema (in
    the migration's transaction): INSERT and SELECT on append-only tables, SELECT on
    read-only ones, read and write on the rest; never TRUNCATE, never DDL."""
    quoted = connection.scalar(text("SELECT quote_ident(:role)"), {"role": app_role})
    tables = connection.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).all()
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {quoted}",
    ]
    for table in sorted(tables):
        statements.append(f'GRANT {table_privileges(table)} ON "{table}" TO {quoted}')
    for statement in statements:
        connection.execute(text(statement))


def table_privileges(table: str) -> str:
    """What the application role may do on `table`."""
    if table in READ_ONLY_TABLES:
        return "SELECT"
    if table in APPEND_ONLY_TABLES:
        return "SELECT, INSERT"
    return "SELECT, INSERT, UPDATE, DELETE"
