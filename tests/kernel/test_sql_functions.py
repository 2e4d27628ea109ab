"""SQL functions as files: each `domain/<context>/sql/<function>.sql` is the definition the
migrated database runs, and every function the migrations define has its file."""

from __future__ import annotations

import re

from sqlalchemy import text

from domain.kernel import sql_functions
from domain.kernel.db import Database

_NAME = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(", re.IGNORECASE)
_DEFINITIONS = text(
    "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p"
    " WHERE p.pronamespace = CAST(:schema AS regnamespace) AND p.proname LIKE 'stakehouse\\_%'"
)


async def _definitions(connection: object, schema: str) -> list[tuple[str, str]]:
    """(name, definition) of each function, overloads included, sorted by name."""
    rows = await connection.execute(_DEFINITIONS, {"schema": schema})  # type: ignore[attr-defined]
    return sorted(
        (name, definition.replace(f"FUNCTION {schema}.", "FUNCTION ")) for name, definition in rows
    )


async def test_every_sql_function_file_equals_its_migrated_definition(
    owner_db: Database,
) -> None:
    files = sql_functions.function_files()
    async with owner_db.engine.connect() as connection:
        transaction = await connection.begin()
        migrated = await _definitions(connection, "public")
        # Each file defined again in a scratch schema, then both printed by PostgreSQL
        # itself: the comparison ignores layout the server does not keep, and nothing else.
        await connection.execute(text("CREATE SCHEMA sql_files_check"))
        await connection.execute(text("SET LOCAL search_path = sql_files_check, public"))
        for path in files:
            await connection.exec_driver_sql(path.read_text(encoding="utf-8"))
        from_files = await _definitions(connection, "sql_files_check")
        await transaction.rollback()

    # One function per file, named after it.
    assert [_NAME.search(path.read_text()).group(1) for path in files] == [  # type: ignore[union-attr]
        path.stem for path in files
    ]
    # No function without its file (nor an old overload left behind), nor the reverse.
    assert [name for name, _ in migrated] == sorted(path.stem for path in files)
    assert [d for d in from_files if d not in migrated] == []
