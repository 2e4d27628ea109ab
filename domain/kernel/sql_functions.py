"""The platform's SQL functions, one file each: `domain/<context>/sql/<function>.sql`.

Each file holds one `CREATE OR REPLACE FUNCTION` (unqualified name, so it lands in the
schema being migrated), optionally after `--` comments saying why. The file is the current
definition: every migration run ends by loading all of them (domain/migrations/env.py),
so editing a file is enough, and a database migrated from any revision ends with the
files' definitions; a changed signature needs a migration that drops the old function.
Migrations before 0014 keep their own text as history. A test compares every file with
`pg_get_functiondef` on the migrated database and finds a function without its file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DOMAIN_DIR = Path(__file__).resolve().parents[1]


def function_files() -> list[Path]:
    """Every function file of every context, in a stable order."""
    return sorted(DOMAIN_DIR.glob("*/sql/*.sql"), key=lambda path: path.name)


def load_all(execute: Callable[[str], object]) -> None:
    """(Re)define every function; `execute` runs one statement (e.g. `op.execute`).
    One file, one statement: asyncpg prepares each, and a prepared statement is one
    command."""
    for path in function_files():
        execute(path.read_text(encoding="utf-8"))
