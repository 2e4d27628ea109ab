"""Issue 21 item 4: a flow that spans transactions lives in the domain, in one shape (a
function taking the Database that opens and commits its units of work, such as
domain/payments/flows.py); resolvers, actors, the scheduler and web handlers stay thin,
opening at most one unit of work per function and never one per turn of a loop.

The check reads the source: in `resolvers/`, `workers/`, `schema/` and `web/` it counts
the `async with <x>.uow() / .transaction() / .autocommit()` blocks of each function (a
nested function counts on its own) and flags any inside a `for` or `while`. A flow split
into two thin functions that each open one unit of work escapes it; review catches that.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
THIN_ROOTS = ("resolvers", "workers", "schema", "web")
UNIT_OF_WORK_OPENERS = frozenset({"uow", "transaction", "autocommit"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _opens_unit_of_work(node: ast.AST) -> bool:
    return isinstance(node, ast.AsyncWith) and any(
        isinstance(item.context_expr, ast.Call)
        and isinstance(item.context_expr.func, ast.Attribute)
        and item.context_expr.func.attr in UNIT_OF_WORK_OPENERS
        for item in node.items
    )


def _own_nodes(function: ast.AST, *, in_loop: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """The nodes of `function`'s own body (not of functions nested in it), each with
    whether a loop of this function encloses it."""
    for child in ast.iter_child_nodes(function):
        if isinstance(child, _FUNCTIONS):
            continue
        yield child, in_loop
        yield from _own_nodes(child, in_loop=in_loop or isinstance(child, _LOOPS))


def flows_outside_the_domain(root: Path) -> list[str]:
    """Every function under the thin layers that spans transactions, as `path:line: why`."""
    found = []
    for top in THIN_ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            relative = path.relative_to(root).as_posix()
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                opened = [(n, loop) for n, loop in _own_nodes(function) if _opens_unit_of_work(n)]
                if len(opened) > 1:
                    found.append(
                        f"{relative}:{function.lineno}: {function.name} opens {len(opened)}"
                        " units of work"
                    )
                found += [
                    f"{relative}:{node.lineno}: {function.name} opens a unit of work in a loop"
                    for node, in_loop in opened
                    if in_loop
                ]
    return sorted(found, key=lambda line: (line.split(":")[0], int(line.split(":")[1])))


def test_resolvers_actors_and_handlers_run_no_multi_transaction_flow() -> None:
    assert flows_outside_the_domain(REPO_ROOT) == []


def test_the_check_fails_on_a_flow_planted_in_a_resolver(tmp_path: Path) -> None:
    planted = tmp_path / "resolvers" / "payments" / "deposits.py"
    planted.parent.mkdir(parents=True)
    planted.write_text(
        "async def deposit(ctx, psp):\n"
        "    async def run():\n"
        "        async with ctx.db.uow() as uow:\n"
        "            await uow.commit()\n"
        "        await psp.call()\n"
        "        async with ctx.db.transaction() as uow:\n"
        "            pass\n"
        "    return await run()\n"
        "\n"
        "async def sweep(db, ids):\n"
        "    for payment_id in ids:\n"
        "        async with db.transaction() as uow:\n"
        "            pass\n"
        "\n"
        "async def single(db):\n"
        "    async with db.uow() as uow:\n"
        "        async def helper():\n"
        "            async with db.uow() as other:\n"
        "                pass\n"
        "        await helper()\n",
        encoding="utf-8",
    )

    assert flows_outside_the_domain(tmp_path) == [
        "resolvers/payments/deposits.py:2: run opens 2 units of work",
        "resolvers/payments/deposits.py:12: sweep opens a unit of work in a loop",
    ]
