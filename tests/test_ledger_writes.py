"""House habit 3: money moves only through the ledger's one entry point, so nothing but
`domain/wallets/` writes a ledger table.

The check reads the source, not the database: SQL text (Python string literals and .sql
files) that inserts into, updates, deletes from or truncates `ledger_transactions`,
`ledger_entries` or `ledger_accounts`, and SQLAlchemy statements or ORM objects built
on the ledger models (`insert(LedgerEntry)`, `update(LedgerAccount)`, `LedgerAccount(...)`,
`LedgerEntry.__table__.insert()`).

Allowed, and why:
- `domain/wallets/**`: the ledger itself, its Python services and its SQL functions
  (`domain/wallets/sql/*.sql`, the entry point every other context calls, e.g. the casino
  and sportsbook SQL functions call `stakehouse_stake`/`stakehouse_apply`).
- `domain/migrations/versions/**`: migrations run as the owner and hold the earlier
  revisions of those same SQL functions (and backfills); they are history, not code paths.
- `tests/`: they corrupt the ledger on purpose, as the owner, to prove the audit sees it.

Not caught (stated, not pretended): a write through a name the scanner cannot see, such as
a table name assembled at run time or an attribute assignment on a loaded LedgerAccount.
The application role's grants (INSERT and SELECT only on the append-only tables, DESIGN.md
section 2) stand behind this check for those.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Every package that ships (tests are out of scope: see the module docstring).
SCANNED_ROOTS = ("domain", "schema", "resolvers", "workers", "web", "bench")
ALLOWED_PREFIXES = ("domain/wallets/", "domain/migrations/versions/")

LEDGER_TABLES = ("ledger_transactions", "ledger_entries", "ledger_accounts")
LEDGER_MODELS = frozenset({"LedgerTransaction", "LedgerEntry", "LedgerAccount"})
_WRITE_SQL = re.compile(
    r"\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?|merge\s+into|copy)"
    r"\s+(?:only\s+)?(?:\"?public\"?\s*\.\s*)?\"?(" + "|".join(LEDGER_TABLES) + r")\b",
    re.IGNORECASE,
)
_STATEMENT_BUILDERS = frozenset({"insert", "update", "delete"})


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _ledger_model(node: ast.expr) -> str | None:
    """The ledger model a statement targets: `LedgerEntry`, `models.LedgerEntry`,
    `LedgerEntry.__table__`."""
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        node = node.value
    name = _name(node)
    return name if name in LEDGER_MODELS else None


def _python_writes(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in _WRITE_SQL.finditer(node.value):
                yield node.lineno, f"SQL writes {match.group(1)}"
        if not isinstance(node, ast.Call):
            continue
        called = _name(node.func)
        if called in LEDGER_MODELS:
            yield node.lineno, f"builds a {called} row"
        elif called in _STATEMENT_BUILDERS and node.args and _ledger_model(node.args[0]):
            yield node.lineno, f"{called}({_ledger_model(node.args[0])})"
        elif (
            called in _STATEMENT_BUILDERS
            and isinstance(node.func, ast.Attribute)
            and _ledger_model(node.func.value)
        ):
            yield node.lineno, f"{_ledger_model(node.func.value)}.__table__.{called}()"


def _sql_writes(source: str) -> Iterator[tuple[int, str]]:
    for match in _WRITE_SQL.finditer(source):
        yield source.count("\n", 0, match.start()) + 1, f"SQL writes {match.group(1)}"


def ledger_writes(root: Path) -> list[str]:
    """Every write to a ledger table under `root` outside the allowed places, as
    `path:line: what`."""
    found = []
    for top in SCANNED_ROOTS:
        for path in sorted((root / top).rglob("*")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(ALLOWED_PREFIXES) or "/.venv/" in relative:
                continue
            if path.suffix == ".py":
                writes = _python_writes(path.read_text(encoding="utf-8"))
            elif path.suffix == ".sql":
                writes = _sql_writes(path.read_text(encoding="utf-8"))
            else:
                continue
            found += [f"{relative}:{line}: {what}" for line, what in sorted(writes)]
    return found


def test_only_wallets_writes_ledger_tables() -> None:
    assert ledger_writes(REPO_ROOT) == []


def _plant(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_check_fails_on_writes_planted_outside_wallets(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        "domain/payments/shortcut.py",
        "from sqlalchemy import insert, text, update\n"
        "from domain.wallets import models\n"
        "from domain.wallets.models import LedgerAccount, LedgerEntry\n"
        "FORGE = text('UPDATE ledger_accounts SET balance = balance + 100 WHERE id = :w')\n"
        "ENTRY = insert(LedgerEntry).values(amount=1)\n"
        "CREDIT = update(models.LedgerAccount).values(balance=1)\n"
        "RAW = LedgerEntry.__table__.delete()\n"
        "ROW = LedgerAccount(brand='a', kind='cash', currency='EUR')\n"
        'MULTI = """\n  insert   into public.ledger_transactions (brand) values (1)"""\n',
    )
    _plant(tmp_path, "workers/cleanup.sql", "SELECT 1;\nDELETE FROM ledger_entries;\n")

    assert ledger_writes(tmp_path) == [
        "domain/payments/shortcut.py:4: SQL writes ledger_accounts",
        "domain/payments/shortcut.py:5: insert(LedgerEntry)",
        "domain/payments/shortcut.py:6: update(LedgerAccount)",
        "domain/payments/shortcut.py:7: LedgerEntry.__table__.delete()",
        "domain/payments/shortcut.py:8: builds a LedgerAccount row",
        "domain/payments/shortcut.py:9: SQL writes ledger_transactions",
        "workers/cleanup.sql:2: SQL writes ledger_entries",
    ]


def test_the_check_allows_the_ledger_and_reads_elsewhere(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        "domain/wallets/service.py",
        "from sqlalchemy import insert\nfrom domain.wallets.models import LedgerAccount\n"
        "OPEN = insert(LedgerAccount)\n",
    )
    _plant(tmp_path, "domain/wallets/sql/post.sql", "INSERT INTO ledger_entries VALUES (1);\n")
    _plant(
        tmp_path,
        "domain/migrations/versions/0099_backfill.py",
        "SQL = 'UPDATE ledger_transactions SET kind = kind'\n",
    )
    _plant(
        tmp_path,
        "domain/casino/reconciliation.py",
        "from sqlalchemy import select, text\nfrom domain.wallets.models import LedgerEntry\n"
        "READ = select(LedgerEntry.amount)\n"
        "RAW = text('SELECT sum(amount) FROM ledger_entries WHERE updated_at > now()')\n"
        "CALL = text('SELECT stakehouse_apply(:legs)')\n",
    )

    assert ledger_writes(tmp_path) == []
