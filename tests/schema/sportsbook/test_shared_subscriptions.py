"""Identical `oddsChanged` subscriptions share one execution: every socket of a group gets
the same bytes, and the selection is executed once per price change, not once per socket
(web/graphql_shared.py). A signed-in viewer's odds format and different variables make
groups of their own; a socket that leaves does not stop the others."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import OperationType
from graphql.execution.executor import Executor

from domain.kernel.db import Database
from tests.schema.sportsbook.support import (
    BookMarket,
    add_market,
    gid,
    next_raw,
    publish_odds,
    signed_in_bettor,
    subscribe,
)
from tests.schema.sportsbook.test_odds_format import SET_ODDS_FORMAT
from tests.support import AURORA

ODDS_CHANGED = """subscription($events: [ID!]!) { oddsChanged(events: $events) {
  event outcomes { outcome odds display status marketStatus } } }"""
SOCKETS = 6


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each graphql-core execution of a subscription's selection (the server runs in this
    process): the name of the root field executed."""
    seen: list[str] = []
    original = Executor.execute_operation

    def counted(self: Executor[Any], *args: Any, **kwargs: Any) -> Any:
        if self.operation.operation is OperationType.SUBSCRIPTION:
            seen.append(self.operation.selection_set.selections[0].name.value)  # type: ignore[attr-defined]
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Executor, "execute_operation", counted)
    return seen


async def _warm(db: Database, market: BookMarket, sockets: list[Any], odds: str) -> None:
    """Publish until every socket has a frame (subscriptions start asynchronously), then
    drain what is left."""
    got = [False] * len(sockets)
    for _ in range(20):
        await publish_odds(db, market, "home", odds)
        for index, socket in enumerate(sockets):
            while (raw := await next_raw(socket, 0.3)) is not None:
                got[index] = got[index] or f'"odds":"{odds}' in raw
        if all(got):
            return
    raise AssertionError("not every socket subscribed")


async def test_identical_sockets_share_one_execution_and_receive_the_same_bytes(
    server: str, db: Database, executions: list[str]
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "1.80"})
    variables = {"events": [gid("SportsbookEvent", market.event_id)]}
    sockets = [
        await subscribe(server, AURORA, None, ODDS_CHANGED, variables) for _ in range(SOCKETS)
    ]
    await _warm(db, market, sockets, "2.10")

    executions.clear()
    await publish_odds(db, market, "home", "2.50")
    received = [await next_raw(socket, 5) for socket in sockets]

    assert executions == ["oddsChanged"]
    assert received[0] is not None
    assert received == [received[0]] * SOCKETS
    assert json.loads(received[0]) == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"oddsChanged": {
            "event": gid("SportsbookEvent", market.event_id),
            "outcomes": [{"outcome": gid("Outcome", market.outcomes["home"]), "odds": "2.5000",
                          "display": "2.50", "status": "ACTIVE", "marketStatus": "ACTIVE"}],
        }}},
    }  # fmt: skip

    # One socket leaves: the group goes on for the others, still with one execution.
    await sockets.pop().close()
    executions.clear()
    await publish_odds(db, market, "home", "2.60")
    after = [await next_raw(socket, 5) for socket in sockets]
    assert executions == ["oddsChanged"]
    assert all(raw is not None and '"odds":"2.6000"' in raw for raw in after)
    assert len(set(after)) == 1
    for socket in sockets:
        await socket.close()


async def test_other_variables_and_a_fractional_viewer_get_groups_of_their_own(
    server: str, db: Database, executions: list[str]
) -> None:
    market = await add_market(db, {"home": "2.00", "away": "1.80"})
    other_market = await add_market(db, {"home": "2.00", "away": "1.80"})
    watched = gid("SportsbookEvent", market.event_id)
    api, _player = await signed_in_bettor(server, AURORA, db)
    changed = await api.query(SET_ODDS_FORMAT, {"f": "FRACTIONAL"})
    assert changed.data["setOddsFormat"]["errors"] == []
    anonymous = [
        await subscribe(server, AURORA, None, ODDS_CHANGED, {"events": [watched]}) for _ in range(2)
    ]
    fractional = await subscribe(server, AURORA, api.token, ODDS_CHANGED, {"events": [watched]})
    # The same event listed twice is other variables (the key is the variables as sent).
    both = {"events": [watched, gid("SportsbookEvent", other_market.event_id)]}
    wider = await subscribe(server, AURORA, None, ODDS_CHANGED, both)
    sockets = [*anonymous, fractional, wider]
    await _warm(db, market, sockets, "2.10")

    executions.clear()
    await publish_odds(db, market, "home", "2.50")
    first, second, mine, theirs = [await next_raw(socket, 5) for socket in sockets]

    # Three groups: anonymous on one event, the fractional viewer, the two-event list.
    assert executions == ["oddsChanged"] * 3
    assert first is not None and first == second
    assert (
        first is not None
        and json.loads(first)["payload"]["data"]["oddsChanged"]["outcomes"][0]["display"] == "2.50"
    )
    assert (
        mine is not None
        and json.loads(mine)["payload"]["data"]["oddsChanged"]["outcomes"][0]["display"] == "3/2"
    )
    assert theirs is not None and json.loads(theirs) == json.loads(first)
    for socket in sockets:
        await socket.close()
    await api.aclose()
