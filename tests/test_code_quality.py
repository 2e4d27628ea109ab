"""The house rules that tools check, run with the suite so CI enforces them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
THIS_FILE = Path(__file__).resolve().relative_to(REPO_ROOT)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        (str(BIN / "ruff"), "check", "--quiet", "."),
        (str(BIN / "ruff"), "format", "--check", "--quiet", "."),
        (str(BIN / "lint-imports"),),
        (str(BIN / "mypy"), "domain", "schema", "resolvers", "workers", "web", "bench"),
    ],
    ids=["ruff", "ruff-format", "import-linter", "mypy"],
)
def test_tool_is_clean(command: tuple[str, ...]) -> None:
    result = _run(*command)

    assert result.returncode == 0, result.stdout + result.stderr


# Packages that ship: a module there named like a test file is collected, linted and
# coverage-excluded as one by every tool (pytest, ruff's per-file rules, IDEs).
SHIPPED_PACKAGES = ("domain", "schema", "resolvers", "web", "workers")


def test_no_shipped_module_is_named_like_a_test() -> None:
    misnamed = sorted(
        str(path.relative_to(REPO_ROOT))
        for package in SHIPPED_PACKAGES
        for pattern in ("test_*.py", "*_test.py")
        for path in (REPO_ROOT / package).rglob(pattern)
    )

    assert misnamed == []


# strawberry's private API (underscored names, its converter's back-references, modules it
# does not export): only schema/extensions.py may use it, behind functions of its own, so a
# strawberry upgrade (capped in pyproject.toml) has one file to check.
STRAWBERRY_INTERNALS = re.compile(
    r"\._raw_info\b|\._schema\b|DEFINITION_BACKREF|GraphQLCoreConverter"
    r"|strawberry\.types\.base\b|strawberry\.schema\.schema_converter\b"
    r"|strawberry\.schema\.types\b|from strawberry[\w.]* import [^\n]*\b_[a-z]\w*"
)
STRAWBERRY_INTERNALS_HOME = Path("schema/extensions.py")


def test_strawberry_internals_are_used_in_schema_extensions_only() -> None:
    users = sorted(
        f"{path.relative_to(REPO_ROOT)}: {match.group(0)}"
        for package in (*SHIPPED_PACKAGES, "bench", "tests")
        for path in (REPO_ROOT / package).rglob("*.py")
        if path.relative_to(REPO_ROOT) not in (STRAWBERRY_INTERNALS_HOME, THIS_FILE)
        for match in STRAWBERRY_INTERNALS.finditer(path.read_text(encoding="utf-8"))
    )

    assert users == []
