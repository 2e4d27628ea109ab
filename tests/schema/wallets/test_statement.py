"""A player's statement under concurrent postings: rows in the order the balance moved
(each running balance follows from the one before), and one request's balance and history
read from one snapshot."""

from __future__ import annotations

import asyncio
import uuid

from domain.kernel.db import Database
from tests.schema.wallets.support import (
    STATEMENT,
    fund,
    signed_in_player,
    spend,
    statement_breaks,
)
from tests.support import AURORA, Api

PLAYERS = 4
WRITERS_PER_PLAYER = 6
POSTINGS_PER_WRITER = 8


async def _post_concurrently(db: Database, player_id: uuid.UUID) -> None:
    """WRITERS_PER_PLAYER concurrent writers, each depositing and staking in turn: their
    transactions start in one order and take the wallet's lock in another."""

    async def writer(seed: int) -> None:
        for n in range(POSTINGS_PER_WRITER):
            if n % 2:
                await spend(db, player_id, 1 + seed)
            else:
                await fund(db, player_id, 100 + n)

    await asyncio.gather(*(writer(seed) for seed in range(WRITERS_PER_PLAYER)))


async def test_a_statement_written_concurrently_chains_to_the_balance(
    server: str, db: Database
) -> None:
    players = [
        await signed_in_player(server, AURORA, f"chain{n}@example.com") for n in range(PLAYERS)
    ]
    for _, player_id in players:
        await fund(db, player_id, 10_000)

    await asyncio.gather(*(_post_concurrently(db, player_id) for _, player_id in players))

    for api, _ in players:
        answer = await api.query(STATEMENT, {"first": 100})
        player = answer.data["viewer"]["player"]
        assert len(player["transactions"]["edges"]) == 1 + WRITERS_PER_PLAYER * POSTINGS_PER_WRITER
        assert statement_breaks(player) == []
        await api.aclose()


async def test_one_request_shows_a_balance_and_history_of_one_moment(
    server: str, db: Database
) -> None:
    api, player_id = await signed_in_player(server, AURORA, "snapshot@example.com")
    await fund(db, player_id, 10_000)
    answers: list[dict[str, object]] = []

    async def read_while_posting(reader: Api) -> None:
        while not posting.done():
            answer = await reader.query(STATEMENT, {"first": 1})
            answers.append(answer.data["viewer"]["player"])

    posting = asyncio.ensure_future(_post_concurrently(db, player_id))
    readers = [Api(server, AURORA) for _ in range(3)]
    for reader in readers:
        reader.token = api.token
    await asyncio.gather(posting, *(read_while_posting(reader) for reader in readers))

    assert len(answers) >= 10
    assert [breaks for breaks in map(statement_breaks, answers) if breaks] == []
    for reader in (api, *readers):
        await reader.aclose()
