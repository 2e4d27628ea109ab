"""Each-way through the public API alone: a trader builds a race with place terms, a
player backs a runner each-way, the trader results the race with finishing positions."""

from __future__ import annotations

from typing import Any

from domain.kernel.db import Database
from tests.schema.sportsbook.support import cash_of, signed_in_bettor
from tests.schema.sportsbook.test_booking import (
    BET,
    CREATE_MARKET,
    RESULT_MARKET,
    _bet,
    _event,
    _ids,
    _match_result,
    _ok,
    _trader,
)
from tests.support import AURORA, Api

LEGS = """{ viewer { player { bets(first: 5) { edges { node { legs {
  result deadHeatFactor placeResult eachWayPlaces eachWayFraction } } } } } } }"""
RUNNERS = [("r1", "3.00"), ("r2", "11.00"), ("r3", "5.00"), ("r4", "8.00"), ("r5", "13.00")]


async def _race(trader: Api, places: int = 3, fraction: str = "1/5") -> dict[str, Any]:
    event = await _event(trader, sport="racing", name="3:15 Ascot")
    return await _ok(
        trader,
        CREATE_MARKET,
        {
            "event": event["id"], "type": "race_winner", "name": "Win or each way",
            "placeTerms": {"places": places, "fraction": fraction},
            "outcomes": [{"key": k, "name": f"Runner {k}", "odds": o} for k, o in RUNNERS],
        },
    )  # fmt: skip


def _finish(ids: dict[str, str], order: list[str]) -> list[dict[str, Any]]:
    """Results by finishing order: the first wins, every runner has its position."""
    return [
        {"outcome": ids[key], "result": "WIN" if position == 1 else "LOSE", "place": position}
        for position, key in enumerate(order, start=1)
    ]


async def test_the_worked_example_five_pounds_each_way_at_eleven_finishing_second_pays_fifteen(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    race = await _race(trader)
    ids = _ids(race)
    api, player = await signed_in_bettor(server, AURORA, db)

    placed = await _bet(api, ids["r2"], "11.00", amount="5.00", each_way=True)
    cash_staked = await cash_of(db, player)
    await _ok(
        trader,
        RESULT_MARKET,
        {"market": race["id"], "outcomes": _finish(ids, ["r1", "r2", "r3", "r4", "r5"])},
    )

    assert (race["eachWayPlaces"], race["eachWayFraction"]) == (3, "1/5")
    assert placed["errors"] == []
    assert placed["bet"]["totalStake"] == {"amount": "10.00"}
    # Win part 5 * 11 = 55; place part 5 * ((11 - 1) / 5 + 1) = 15.
    assert placed["bet"]["potentialReturn"] == {"amount": "70.00"}
    assert cash_staked == 100_00 - 10_00
    # The win part loses; the place part pays 5.00 at 3.00.
    assert await cash_of(db, player) == 90_00 + 15_00
    bet = (await api.query(BET, {"id": placed["bet"]["id"]})).data["node"]
    assert bet == {"status": "WON", "payout": {"amount": "15.00"}}
    history = (await api.query(LEGS)).data["viewer"]["player"]["bets"]["edges"]
    assert [edge["node"]["legs"] for edge in history] == [
        [{"result": "LOSE", "deadHeatFactor": None, "placeResult": "WIN",
          "eachWayPlaces": 3, "eachWayFraction": "1/5"}]
    ]  # fmt: skip


async def test_each_way_winners_are_paid_both_parts_and_unplaced_runners_nothing(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    race = await _race(trader, places=2, fraction="1/4")
    ids = _ids(race)
    winner_api, winner = await signed_in_bettor(server, AURORA, db)
    third_api, third = await signed_in_bettor(server, AURORA, db)
    await _bet(winner_api, ids["r3"], "5.00", amount="2.00", each_way=True)
    await _bet(third_api, ids["r1"], "3.00", amount="2.00", each_way=True)

    await _ok(
        trader,
        RESULT_MARKET,
        {"market": race["id"], "outcomes": _finish(ids, ["r3", "r2", "r1", "r4", "r5"])},
    )

    # 2 * 5 = 10 for the win, 2 * ((5 - 1) / 4 + 1) = 4 for the place.
    assert await cash_of(db, winner) == 96_00 + 14_00
    # Third with two places paid: both parts lose.
    assert await cash_of(db, third) == 96_00


async def test_each_way_is_refused_on_a_market_without_place_terms(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    market = await _match_result(trader, await _event(trader))
    api, player = await signed_in_bettor(server, AURORA, db)

    refused = await _bet(api, _ids(market)["home"], "2.50", each_way=True)

    assert [e["code"] for e in refused["errors"]] == ["EACH_WAY_UNAVAILABLE"]
    assert refused["bet"] is None
    assert await cash_of(db, player) == 100_00


async def test_a_winner_outside_the_places_is_refused(server: str, db: Database) -> None:
    trader = await _trader(server, db)
    race = await _race(trader)
    ids = _ids(race)
    results = _finish(ids, ["r1", "r2", "r3", "r4", "r5"])
    results[0]["place"] = 4

    refused = await trader.query(
        RESULT_MARKET, {"i": {"market": race["id"], "outcomes": results, "reason": "Photo"}}
    )

    assert [e["code"] for e in refused.data["resultMarket"]["errors"]] == ["INVALID_RESULTS"]
