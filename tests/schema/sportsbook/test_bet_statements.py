"""Bet history and statements through the public API: each race leg says where the runner
finished and how its place part was paid (a dead heat across the last place shares the
places left), and every statement row a bet moved names that bet, also a correction's."""

from __future__ import annotations

from domain.kernel.db import Database
from tests.schema.sportsbook.support import cash_of, signed_in_bettor
from tests.schema.sportsbook.test_booking import (
    RESULT_MARKET,
    ROLLBACK_SETTLEMENT,
    _bet,
    _event,
    _ids,
    _match_result,
    _ok,
    _trader,
)
from tests.schema.sportsbook.test_each_way import _race
from tests.support import AURORA

LEGS = """{ viewer { player { bets(first: 5) { edges { node { payout { amount } legs {
  result placeResult deadHeatFactor placeDeadHeatFactor finishingPosition } } } } } } }"""
STATEMENT = """{ viewer { player { transactions(first: 10) { edges { node {
  kind amount { amount } betId } } } } } }"""
BET = """query($id: ID!) { node(id: $id) { ... on Bet { id status payout { amount } } } }"""
RUNNERS = """query($id: ID!) { node(id: $id) { ... on Market { outcomes { key position } } } }"""


async def test_two_tied_for_the_last_place_share_it_and_history_says_where_each_finished(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    race = await _race(trader)  # 3 places at 1/5
    ids = _ids(race)
    tied_api, tied = await signed_in_bettor(server, AURORA, db)
    second_api, second = await signed_in_bettor(server, AURORA, db)
    assert (await _bet(tied_api, ids["r4"], "8.00", amount="2.00", each_way=True))["errors"] == []
    assert (await _bet(second_api, ids["r2"], "11.00", amount="5.00", each_way=True))[
        "errors"
    ] == []

    positions = {"r1": 1, "r2": 2, "r3": 3, "r4": 3, "r5": 5}
    outcomes = [
        {"outcome": ids[key], "result": "WIN" if place == 1 else "LOSE", "place": place}
        for key, place in positions.items()
    ]
    await _ok(trader, RESULT_MARKET, {"market": race["id"], "outcomes": outcomes})

    # r4 tied for 3rd of 3 places with r3: one place left for two, so half the place
    # stake at the place odds (8.00 - 1) / 5 + 1 = 2.40: 2.00 * 2.40 / 2 = 2.40.
    assert await cash_of(db, tied) == 100_00 - 4_00 + 2_40
    # The worked example stays exact: 2nd at 11.00, 1/5 for 3 places, £5 each-way.
    assert await cash_of(db, second) == 100_00 - 10_00 + 15_00
    history = (await tied_api.query(LEGS)).data["viewer"]["player"]["bets"]["edges"]
    assert [edge["node"] for edge in history] == [
        {"payout": {"amount": "2.40"},
         "legs": [{"result": "LOSE", "placeResult": "WIN", "deadHeatFactor": None,
                   "placeDeadHeatFactor": "1/2", "finishingPosition": 3}]}
    ]  # fmt: skip
    history = (await second_api.query(LEGS)).data["viewer"]["player"]["bets"]["edges"]
    assert [edge["node"]["legs"] for edge in history] == [
        [{"result": "LOSE", "placeResult": "WIN", "deadHeatFactor": None,
          "placeDeadHeatFactor": None, "finishingPosition": 2}]
    ]  # fmt: skip
    card = (await tied_api.query(RUNNERS, {"id": race["id"]})).data["node"]["outcomes"]
    assert {o["key"]: o["position"] for o in card} == positions


async def test_three_tied_for_the_last_two_places_share_them(server: str, db: Database) -> None:
    trader = await _trader(server, db)
    race = await _race(trader)  # 3 places at 1/5
    ids = _ids(race)
    api, player = await signed_in_bettor(server, AURORA, db)
    assert (await _bet(api, ids["r3"], "5.00", amount="3.00", each_way=True))["errors"] == []

    positions = {"r1": 1, "r2": 2, "r3": 2, "r4": 2, "r5": 5}
    outcomes = [
        {"outcome": ids[key], "result": "WIN" if place == 1 else "LOSE", "place": place}
        for key, place in positions.items()
    ]
    await _ok(trader, RESULT_MARKET, {"market": race["id"], "outcomes": outcomes})

    # Three share 2nd and 3rd: two places for three, 2/3 of the place stake at
    # (5.00 - 1) / 5 + 1 = 1.80: 3.00 * 1.80 * 2/3 = 3.60.
    assert await cash_of(db, player) == 100_00 - 6_00 + 3_60
    history = (await api.query(LEGS)).data["viewer"]["player"]["bets"]["edges"]
    assert history[0]["node"]["legs"][0]["placeDeadHeatFactor"] == "2/3"


async def test_every_statement_row_of_a_bet_names_it_and_opens_it(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    market = await _match_result(trader, await _event(trader))
    ids = _ids(market)
    api, _player = await signed_in_bettor(server, AURORA, db)
    placed = await _bet(api, ids["home"], "2.50")
    bet_id = placed["bet"]["id"]
    home_wins = [{"outcome": ids[key], "result": "WIN" if key == "home" else "LOSE"} for key in ids]
    await _ok(trader, RESULT_MARKET, {"market": market["id"], "outcomes": home_wins})
    await _ok(trader, ROLLBACK_SETTLEMENT, {"market": market["id"]})
    draw = [{"outcome": ids[key], "result": "WIN" if key == "draw" else "LOSE"} for key in ids]
    await _ok(trader, RESULT_MARKET, {"market": market["id"], "outcomes": draw})

    rows = (await api.query(STATEMENT)).data["viewer"]["player"]["transactions"]["edges"]
    assert [row["node"] for row in rows] == [
        {"kind": "sportsbook.payout_reversal", "amount": {"amount": "-25.00"}, "betId": bet_id},
        {"kind": "sportsbook.payout", "amount": {"amount": "25.00"}, "betId": bet_id},
        {"kind": "sportsbook.stake", "amount": {"amount": "-10.00"}, "betId": bet_id},
        {"kind": "deposit", "amount": {"amount": "100.00"}, "betId": None},
    ]
    opened = (await api.query(BET, {"id": rows[0]["node"]["betId"]})).data["node"]
    assert opened == {"id": bet_id, "status": "LOST", "payout": {"amount": "0.00"}}
    stranger, _ = await signed_in_bettor(server, AURORA, db)
    assert (await stranger.query(BET, {"id": bet_id})).data["node"] is None
