"""`liabilityChanged` over graphql-transport-ws: a trader's frame moves when a bet is
placed, after commit; a trader of another brand hears nothing of it; a bettor may not
subscribe."""

from __future__ import annotations

import json
import uuid

from domain.kernel.db import Database
from domain.sportsbook.live_delay import decide_pending_bet
from domain.sportsbook.models import BetStatus
from schema.sportsbook.subscriptions import PAYLOAD_BUILDS
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.sportsbook.support import (
    add_market,
    gid,
    next_raw,
    node_int,
    set_odds,
    signed_in_bettor,
    subscribe,
)
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.schema.sportsbook.test_trading import VOID_BET, _trader
from tests.support import AURORA, NORTHSTAR, Api

LIABILITY_CHANGED = """subscription($m: ID!) { liabilityChanged(market: $m) {
  market outcomes { outcome { key } liabilities { amount currency } } } }"""
ATTEMPTS = 20


async def test_a_bet_placed_moves_the_traders_liability_frame(server: str, db: Database) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, _ = await signed_in_bettor(server, AURORA, db)
    trader = await _trader(server, db)
    socket = await subscribe(
        server, AURORA, trader.token, LIABILITY_CHANGED, {"m": gid("Market", market.market_id)}
    )
    # The subscription starts asynchronously: small bets on `away` until a frame arrives.
    frame = None
    for _ in range(ATTEMPTS):
        warm_up = single(market.outcomes["away"], "1.60", str(uuid.uuid4()), amount="1.00")
        assert (await bettor.query(PLACE_BET, {"i": warm_up})).data["placeBet"]["errors"] == []
        frame = await next_raw(socket, 0.5)
        if frame is not None:
            break
    assert frame is not None
    while await next_raw(socket, 0.3) is not None:
        pass  # frames of the other warm-up bets
    away = json.loads(frame)["payload"]["data"]["liabilityChanged"]["outcomes"][1]

    placed = await bettor.query(
        PLACE_BET, {"i": single(market.outcomes["home"], "2.50", str(uuid.uuid4()))}
    )
    moved = await next_raw(socket, 5)

    assert placed.data["placeBet"]["errors"] == []
    assert moved is not None
    assert json.loads(moved)["payload"]["data"] == {
        "liabilityChanged": {
            "market": gid("Market", market.market_id),
            "outcomes": [
                {"outcome": {"key": "home"}, "liabilities": [{"amount": "25.00", "currency": "GBP"}]},
                {"outcome": {"key": "away"}, "liabilities": away["liabilities"]},
            ],
        }
    }  # fmt: skip
    assert away["liabilities"][0]["currency"] == "GBP"
    await socket.close()
    for api in (bettor, trader):
        await api.aclose()


async def test_a_live_bet_accepted_after_its_delay_moves_the_frame_to_the_odds_it_took(
    server: str, db: Database
) -> None:
    market = await add_market(
        db, {"home": "2.50", "away": "1.60"}, event_status="live", bet_delay_seconds=5
    )
    bettor, _ = await signed_in_bettor(server, AURORA, db)
    trader = await _trader(server, db)
    home = {**single(market.outcomes["home"], "2.50", str(uuid.uuid4())), "oddsPolicy": "ANY"}
    placed = (await bettor.query(PLACE_BET, {"i": home})).data["placeBet"]
    socket = await subscribe(
        server, AURORA, trader.token, LIABILITY_CHANGED, {"m": gid("Market", market.market_id)}
    )
    for _ in range(ATTEMPTS):
        warm_up = single(market.outcomes["away"], "1.60", str(uuid.uuid4()), amount="1.00")
        assert (await bettor.query(PLACE_BET, {"i": warm_up})).data["placeBet"]["errors"] == []
        if await next_raw(socket, 0.5) is not None:
            break
    while await next_raw(socket, 0.3) is not None:
        pass

    # The price moves during the delay; the bet (policy ANY) is accepted at 3.00.
    await set_odds(db, market.outcomes["home"], "3.00")
    async with db.transaction() as uow:
        decision = await decide_pending_bet(uow, bet_id=node_int(placed["bet"]["id"]))
    moved = await next_raw(socket, 5)

    assert decision.status is BetStatus.OPEN
    assert moved is not None
    outcomes = json.loads(moved)["payload"]["data"]["liabilityChanged"]["outcomes"]
    assert outcomes[0] == {
        "outcome": {"key": "home"}, "liabilities": [{"amount": "30.00", "currency": "GBP"}]
    }  # fmt: skip
    await socket.close()
    for api in (bettor, trader):
        await api.aclose()


async def test_a_voided_bet_moves_the_frame_back(server: str, db: Database) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, _ = await signed_in_bettor(server, AURORA, db)
    trader = await _trader(server, db)
    home = single(market.outcomes["home"], "2.50", str(uuid.uuid4()))
    placed = (await bettor.query(PLACE_BET, {"i": home})).data["placeBet"]
    socket = await subscribe(
        server, AURORA, trader.token, LIABILITY_CHANGED, {"m": gid("Market", market.market_id)}
    )
    for _ in range(ATTEMPTS):
        slip = single(market.outcomes["away"], "1.60", str(uuid.uuid4()), amount="1.00")
        assert (await bettor.query(PLACE_BET, {"i": slip})).data["placeBet"]["errors"] == []
        if await next_raw(socket, 0.5) is not None:
            break
    while await next_raw(socket, 0.3) is not None:
        pass

    voided = await trader.query(VOID_BET, {"i": {"bet": placed["bet"]["id"], "reason": "Error"}})
    moved = await next_raw(socket, 5)

    assert voided.data["voidBet"]["errors"] == []
    assert moved is not None
    outcomes = json.loads(moved)["payload"]["data"]["liabilityChanged"]["outcomes"]
    assert outcomes[0] == {
        "outcome": {"key": "home"}, "liabilities": [{"amount": "0.00", "currency": "GBP"}],
    }  # fmt: skip
    await socket.close()
    for api in (bettor, trader):
        await api.aclose()


async def test_identical_trader_subscriptions_share_one_payload_build(
    server: str, db: Database
) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, _ = await signed_in_bettor(server, AURORA, db)
    trader = await _trader(server, db)
    variables = {"m": gid("Market", market.market_id)}
    sockets = [
        await subscribe(server, AURORA, trader.token, LIABILITY_CHANGED, variables)
        for _ in range(3)
    ]
    for _ in range(ATTEMPTS):
        slip = single(market.outcomes["away"], "1.60", str(uuid.uuid4()), amount="1.00")
        assert (await bettor.query(PLACE_BET, {"i": slip})).data["placeBet"]["errors"] == []
        if all([await next_raw(socket, 0.5) is not None for socket in sockets]):
            break
    for socket in sockets:
        while await next_raw(socket, 0.3) is not None:
            pass
    builds_before = PAYLOAD_BUILDS["liabilityChanged"]

    slip = single(market.outcomes["home"], "2.50", str(uuid.uuid4()))
    assert (await bettor.query(PLACE_BET, {"i": slip})).data["placeBet"]["errors"] == []
    received = [await next_raw(socket, 5) for socket in sockets]

    assert PAYLOAD_BUILDS["liabilityChanged"] - builds_before == 1
    assert received[0] is not None
    assert received == [received[0]] * 3
    for socket in sockets:
        await socket.close()
    for api in (bettor, trader):
        await api.aclose()


async def test_a_trader_of_another_brand_hears_nothing_of_this_brands_bets(
    server: str, db: Database
) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, _ = await signed_in_bettor(server, AURORA, db)
    elsewhere = await signed_in_staff(
        Api(server, NORTHSTAR), db, "ns-trader@op.example", ["trader"], ["northstar"]
    )
    here = await signed_in_staff(
        Api(server, AURORA), db, "au-trader@op.example", ["trader"], ["aurora"]
    )
    variables = {"m": gid("Market", market.market_id)}
    # Northstar's first: by the time aurora's hears a bet, northstar's listens too.
    theirs = await subscribe(server, NORTHSTAR, elsewhere.token, LIABILITY_CHANGED, variables)
    mine = await subscribe(server, AURORA, here.token, LIABILITY_CHANGED, variables)
    frame = None
    for _ in range(ATTEMPTS):
        slip = single(market.outcomes["home"], "2.50", str(uuid.uuid4()), amount="1.00")
        assert (await bettor.query(PLACE_BET, {"i": slip})).data["placeBet"]["errors"] == []
        frame = await next_raw(mine, 0.5)
        if frame is not None:
            break
    leaked = await next_raw(theirs, 1.0)

    assert frame is not None
    home = json.loads(frame)["payload"]["data"]["liabilityChanged"]["outcomes"][0]
    assert home["liabilities"][0]["currency"] == "GBP"
    assert leaked is None
    for socket in (theirs, mine):
        await socket.close()
    for api in (bettor, elsewhere, here):
        await api.aclose()


async def test_a_bettor_cannot_watch_liabilities(server: str, db: Database) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, _ = await signed_in_bettor(server, AURORA, db)

    socket = await subscribe(
        server, AURORA, bettor.token, LIABILITY_CHANGED, {"m": gid("Market", market.market_id)}
    )
    refused = await next_raw(socket, 5)

    assert refused is not None
    payload = json.loads(refused)["payload"]
    assert payload["data"] is None
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"]
    await socket.close()
    await bettor.aclose()
