"""Every id the API exposes is an opaque global id (DESIGN.md section 4): never a row's
sequential key or a raw UUID that a client could count or forge."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from strawberry.relay import from_base64

from domain.kernel.db import Database
from tests.schema.wallets.support import fund, signed_in_player
from tests.support import AURORA

ROOT = Path(__file__).resolve().parents[2]
# Building an `ID` from a value by hand is how a raw key reaches clients.
_RAW_ID = re.compile(r"\bID\(")


def test_ids_are_built_only_as_global_ids() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("schema", "web", "resolvers")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "schema" / "ids.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if _RAW_ID.search(line)
    ]

    assert offenders == [], "build ids with schema.ids.global_id:\n" + "\n".join(offenders)


VIEWER_IDS = """{ viewer {
  sessions { id }
  player { id transactions(first: 5) { edges { node { id transactionId } } } } } }"""


def _ids(value: Any, key: str = "") -> list[tuple[str, str]]:
    """Every (field, value) whose field is an id (`id`, `…Id`) anywhere in `value`."""
    if isinstance(value, dict):
        return [pair for name, item in value.items() for pair in _ids(item, name)]
    if isinstance(value, list):
        return [pair for item in value for pair in _ids(item, key)]
    if (key == "id" or key.endswith("Id")) and isinstance(value, str):
        return [(key, value)]
    return []


async def test_every_id_a_player_reads_is_an_opaque_global_id(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "ids@example.com")
    deposit = await fund(db, player_id, 1_000)

    ids = _ids((await player.query(VIEWER_IDS)).data)

    assert {field for field, _ in ids} == {"id", "transactionId"}
    decoded = {from_base64(value) for _, value in ids}
    assert {type_name for type_name, _ in decoded} == {
        "Session",
        "Player",
        "WalletTransaction",
        "LedgerTransaction",
    }
    assert ("LedgerTransaction", str(deposit.transaction_id)) in decoded
