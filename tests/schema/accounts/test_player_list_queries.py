"""Staff list queries load nested fields in batches: the statements a page costs do not
grow with the number of players on it (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.messaging.models import InboxMessage
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import Api, create_player

PLAYERS_WITH_INBOX = """query($s: String!) {
  players(search: $s) { email inbox(first: 5) { subject } } }"""


@contextmanager
def statements_on(table: str) -> Iterator[list[str]]:
    """Every SQL statement any engine of this process sends that names `table` (the app
    runs in-process; other background statements do not name it)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if table in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def _players_with_messages(
    db: Database, registry: BrandRegistry, first: int, count: int
) -> None:
    for number in range(first, first + count):
        player_id = await create_player(db, registry, email=f"list{number}@example.com")
        async with db.transaction() as uow:
            uow.session.add_all(
                InboxMessage(
                    brand="aurora", player_id=player_id, kind="note", subject=f"{index}", body=""
                )
                for index in range(3)
            )


async def test_inboxes_of_a_page_of_players_load_in_one_statement(
    aurora: Api, db: Database, registry: BrandRegistry
) -> None:
    staff = await signed_in_staff(aurora, db, "sup9@op.example", ["support"])
    await _players_with_messages(db, registry, 0, 1)
    with statements_on("inbox_messages") as one_player:
        single = (await staff.query(PLAYERS_WITH_INBOX, {"s": "list"})).data["players"]
    await _players_with_messages(db, registry, 1, 4)
    with statements_on("inbox_messages") as five_players:
        many = (await staff.query(PLAYERS_WITH_INBOX, {"s": "list"})).data["players"]

    assert [len(row["inbox"]) for row in single] == [3]
    assert [len(row["inbox"]) for row in many] == [3] * 5
    assert len(one_player) == len(five_players) == 1
