"""Alembic environment: async engine, the platform's metadata, and the URL from the config."""

from __future__ import annotations

import asyncio

from alembic import context
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from domain.kernel import sql_functions
from domain.kernel.db import create_engine
from domain.kernel.roles import apply_grants
from domain.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
        # At head, every SQL function from its file, whatever the revisions did: a database
        # migrated from any revision ends with the files' definitions (a changed signature
        # still needs a migration that drops the old one). Not below head: the files may
        # use columns a later revision adds.
        heads = set(ScriptDirectory.from_config(config).get_heads())
        if set(context.get_context().get_current_heads()) == heads:
            sql_functions.load_all(connection.exec_driver_sql)
        # In the migrations' transaction: the application role never sees a new table
        # without its grants, nor an append-only table with too many.
        app_role = config.attributes.get("app_role")
        if app_role:
            apply_grants(connection, app_role)


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", pool_size=1)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
