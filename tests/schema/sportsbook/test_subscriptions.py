"""Sportsbook subscriptions over graphql-transport-ws, after commit through the outbox:
identical `oddsChanged` subscribers share one payload build (fan-out), and `betUpdated`
tells the viewer, and only the viewer, that a bet was cashed out."""

from __future__ import annotations

import json
import uuid
from typing import Any

from domain.kernel.db import Database
from domain.kernel.outbox import emit
from domain.sportsbook.feed.events import EventUpdated
from domain.sportsbook.models import Event, ResultKind
from domain.sportsbook.returns import LegResult
from domain.sportsbook.settlement import settle_market
from schema.sportsbook.subscriptions import PAYLOAD_BUILDS
from tests.schema.sportsbook.support import (
    add_market,
    gid,
    next_raw,
    publish_odds,
    set_odds,
    signed_in_bettor,
    subscribe,
)
from tests.schema.sportsbook.test_cash_out import CASH_OUT
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.support import AURORA

ODDS_CHANGED = """subscription($events: [ID!]!) { oddsChanged(events: $events) {
  event outcomes { outcome odds display(format: FRACTIONAL) status marketStatus } } }"""
BET_UPDATED = "subscription { betUpdated { id status payout { amount currency } } }"


async def _until_odds(sockets: list[Any], odds: str, *, attempts: int, publish: Any) -> list[str]:
    """Publish `odds` until every socket has received them (subscriptions start
    asynchronously); returns each socket's last raw message."""
    raws: list[str | None] = [None] * len(sockets)
    for _ in range(attempts):
        await publish()
        for index, socket in enumerate(sockets):
            while raws[index] is None or f'"odds":"{odds}"' not in str(raws[index]):
                raw = await next_raw(socket, 0.5)
                if raw is None:
                    break
                raws[index] = raw
        if all(raw is not None and f'"odds":"{odds}"' in raw for raw in raws):
            return [str(raw) for raw in raws]
    raise AssertionError(f"not every socket got {odds}: {raws}")


async def test_identical_subscribers_share_one_payload_build_and_the_same_bytes(
    server: str, db: Database
) -> None:
    watched = await add_market(db, {"home": "2.00", "away": "1.80"})
    elsewhere = await add_market(db, {"home": "2.00", "away": "1.80"})
    variables = {"events": [gid("SportsbookEvent", watched.event_id)]}
    sockets = [await subscribe(server, AURORA, None, ODDS_CHANGED, variables) for _ in range(3)]
    other = await subscribe(
        server, AURORA, None, ODDS_CHANGED, {"events": [gid("SportsbookEvent", elsewhere.event_id)]}
    )

    async def warm_up() -> None:
        await publish_odds(db, watched, "home", "2.10")

    await _until_odds(sockets, "2.1000", attempts=20, publish=warm_up)
    builds_before = PAYLOAD_BUILDS["oddsChanged"]
    await publish_odds(db, watched, "home", "2.50")
    received = [await next_raw(socket, 5) for socket in sockets]
    silent = await next_raw(other, 0.3)

    assert PAYLOAD_BUILDS["oddsChanged"] - builds_before == 1
    assert received[0] is not None
    assert received == [received[0]] * 3
    assert json.loads(received[0]) == {
        "id": "1",
        "type": "next",
        "payload": {
            "data": {
                "oddsChanged": {
                    "event": gid("SportsbookEvent", watched.event_id),
                    "outcomes": [
                        {"outcome": gid("Outcome", watched.outcomes["home"]), "odds": "2.5000",
                         "display": "3/2", "status": "ACTIVE", "marketStatus": "ACTIVE"}
                    ],
                }
            }
        },
    }  # fmt: skip
    assert silent is None
    for socket in [*sockets, other]:
        await socket.close()


async def test_a_cash_out_reaches_only_its_player_after_commit(server: str, db: Database) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    bystander, _ = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    home = market.outcomes["home"]
    placed = await api.query(PLACE_BET, {"i": single(home, "3.00", str(uuid.uuid4()))})
    bet = placed.data["placeBet"]["bet"]["id"]
    mine = await subscribe(server, AURORA, api.token, BET_UPDATED, {})
    theirs = await subscribe(server, AURORA, bystander.token, BET_UPDATED, {})
    # Subscriptions start asynchronously: let both reach the hub before the cash-out.
    await next_raw(mine, 0.3)
    await set_odds(db, home, "1.50")

    paid = await api.query(
        CASH_OUT,
        {"i": {"bet": bet, "expectedValue": {"amount": "19.00", "currency": "GBP"},
               "idempotencyKey": "sub-1"}},
    )  # fmt: skip
    message = await next_raw(mine, 5)
    leaked = await next_raw(theirs, 0.3)

    assert paid.data["cashOut"]["errors"] == []
    assert message is not None
    assert json.loads(message)["payload"]["data"] == {
        "betUpdated": {
            "id": bet,
            "status": "CASHED_OUT",
            "payout": {"amount": "19.00", "currency": "GBP"},
        }
    }
    assert leaked is None
    for socket in (mine, theirs):
        await socket.close()
    for closing in (api, bystander):
        await closing.aclose()


EVENT_UPDATED = """subscription($e: ID!) { eventUpdated(event: $e) {
  name status score markets { status } } }"""


async def _announce(db: Database, event_id: int, status: str, score: dict[str, int]) -> None:
    async with db.transaction() as uow:
        event = await uow.session.get_one(Event, event_id)
        event.status, event.score = status, score
        update = EventUpdated(event_id=event_id, status=status, score=score, markets=[])
        await emit(uow, update, brand=None)


async def test_event_updates_read_the_event_once_per_group(server: str, db: Database) -> None:
    market = await add_market(db, {"home": "2.00", "away": "1.80"})
    variables = {"e": gid("SportsbookEvent", market.event_id)}
    sockets = [await subscribe(server, AURORA, None, EVENT_UPDATED, variables) for _ in range(2)]
    for attempt in range(20):
        await _announce(db, market.event_id, "live", {"home": attempt, "away": 0})
        if all([await next_raw(socket, 0.5) for socket in sockets]):
            break
    while any([await next_raw(socket, 0.2) for socket in sockets]):
        pass
    builds_before = PAYLOAD_BUILDS["eventUpdated"]

    await _announce(db, market.event_id, "live", {"home": 1, "away": 2})
    received = [await next_raw(socket, 5) for socket in sockets]

    assert PAYLOAD_BUILDS["eventUpdated"] - builds_before == 1
    assert received[0] is not None
    assert received == [received[0]] * 2
    assert json.loads(received[0])["payload"]["data"]["eventUpdated"] == {
        "name": "Home v Away",
        "status": "LIVE",
        "score": {"home": 1, "away": 2},
        "markets": [{"status": "ACTIVE"}],
    }
    for socket in sockets:
        await socket.close()


EVENTS_UPDATED = """subscription($events: [ID!]!) { eventsUpdated(events: $events) {
  id status score } }"""


async def test_one_subscription_follows_every_event_of_a_list_and_no_other(
    server: str, db: Database
) -> None:
    first, second, other = [
        await add_market(db, {"home": "2.00", "away": "1.80"}) for _ in range(3)
    ]
    listed = [gid("SportsbookEvent", m.event_id) for m in (first, second)]
    socket = await subscribe(server, AURORA, None, EVENTS_UPDATED, {"events": listed})
    for attempt in range(20):
        await _announce(db, first.event_id, "scheduled", {"home": attempt, "away": 0})
        if await next_raw(socket, 0.5):
            break
    while await next_raw(socket, 0.2):
        pass

    await _announce(db, other.event_id, "live", {"home": 3, "away": 3})
    await _announce(db, second.event_id, "live", {"home": 0, "away": 0})
    await _announce(db, first.event_id, "live", {"home": 1, "away": 0})
    received = [await next_raw(socket, 5) for _ in range(2)]
    extra = await next_raw(socket, 1)

    assert extra is None
    assert [json.loads(r or "{}")["payload"]["data"]["eventsUpdated"] for r in received] == [
        {"id": listed[1], "status": "LIVE", "score": {"home": 0, "away": 0}},
        {"id": listed[0], "status": "LIVE", "score": {"home": 1, "away": 0}},
    ]
    await socket.close()


CASH_OUT_OFFER = "subscription($b: ID!) { cashOutOffer(bet: $b) { bet value { amount } } }"


async def test_the_cash_out_offer_follows_the_price(server: str, db: Database) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    placed = await api.query(PLACE_BET, {"i": single(market.outcomes["home"], "3.00", "offer")})
    bet = placed.data["placeBet"]["bet"]["id"]
    socket = await subscribe(server, AURORA, api.token, CASH_OUT_OFFER, {"b": bet})
    stranger, _ = await signed_in_bettor(server, AURORA, db)
    foreign = await subscribe(server, AURORA, stranger.token, CASH_OUT_OFFER, {"b": bet})

    now = await next_raw(socket, 5)
    refused = await next_raw(foreign, 5)
    later = None
    for attempt in range(10):
        # The first publication may precede the hub subscription: repeat until seen.
        await publish_odds(db, market, "home", "1.50" if attempt % 2 == 0 else "1.5000")
        later = await next_raw(socket, 0.5)
        if later is not None:
            break

    assert now is not None
    assert later is not None
    assert refused is not None
    assert json.loads(now)["payload"]["data"]["cashOutOffer"] == {
        "bet": bet,
        "value": {"amount": "9.50"},
    }
    assert json.loads(later)["payload"]["data"]["cashOutOffer"]["value"] == {"amount": "19.00"}
    assert json.loads(refused)["payload"]["errors"][0]["extensions"]["code"] == "BET_NOT_FOUND"
    for socket_ in (socket, foreign):
        await socket_.close()
    for closing in (api, stranger):
        await closing.aclose()


async def test_a_settlement_reaches_the_player_after_commit(server: str, db: Database) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    placed = await api.query(PLACE_BET, {"i": single(market.outcomes["home"], "3.00", "settle")})
    bet = placed.data["placeBet"]["bet"]["id"]
    socket = await subscribe(server, AURORA, api.token, BET_UPDATED, {})
    await next_raw(socket, 0.3)

    results = {
        market.outcomes["home"]: LegResult(ResultKind.WIN),
        market.outcomes["away"]: LegResult(ResultKind.LOSE),
    }
    await settle_market(db, market_id=market.market_id, results=results, run_id=uuid.uuid4())
    message = await next_raw(socket, 5)

    assert message is not None
    assert json.loads(message)["payload"]["data"] == {
        "betUpdated": {"id": bet, "status": "WON", "payout": {"amount": "30.00", "currency": "GBP"}}
    }
    await socket.close()
    await api.aclose()
