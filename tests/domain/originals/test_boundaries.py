"""The studio is an outside studio in all but hosting: it never reaches the operator's
wallet or casino code, only the HTTP API."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = ("domain.wallets", "domain.casino", "domain.accounts", "domain.compliance")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_originals_import_nothing_of_the_operators_money_code() -> None:
    files = [
        *(REPO_ROOT / "domain" / "originals").rglob("*.py"),
        *(REPO_ROOT / "web" / "originals").rglob("*.py"),
    ]
    assert len(files) >= 8

    offending = {
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in files
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    }

    assert offending == set()
