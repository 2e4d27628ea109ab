"""Traders build and result the book over GraphQL alone: a sport, a competition, an event
and its markets; players bet on them; the trader results, rolls back and resettles, voids
and cancels, and the money follows exactly, as it does for the feed (one domain path)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from domain.kernel.db import Database
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.sportsbook.support import cash_of, node_int, signed_in_bettor
from tests.support import AURORA, Api

ERRORS = "errors { code field message }"
CREATE_SPORT = f"""mutation($i: CreateSportInput!) {{ createSport(input: $i) {{
  sport {{ id key name }} {ERRORS} }} }}"""
CREATE_COMPETITION = f"""mutation($i: CreateCompetitionInput!) {{ createCompetition(input: $i) {{
  competition {{ id key name country sport {{ key }} }} {ERRORS} }} }}"""
CREATE_EVENT = f"""mutation($i: CreateEventInput!) {{ createEvent(input: $i) {{
  event {{ id name home away status startsAt competition {{ key }} }} {ERRORS} }} }}"""
EDIT_EVENT = f"""mutation($i: EditEventInput!) {{ editEvent(input: $i) {{
  event {{ id name status startsAt }} {ERRORS} }} }}"""
SET_SCORE = f"""mutation($i: SetEventScoreInput!) {{ setEventScore(input: $i) {{
  event {{ id score clock }} {ERRORS} }} }}"""
MARKET_FIELDS = (
    "id type specifiers name status eachWayPlaces eachWayFraction outcomes { id key name odds }"
)
CREATE_MARKET = f"""mutation($i: CreateMarketInput!) {{ createMarket(input: $i) {{
  market {{ {MARKET_FIELDS} }} {ERRORS} }} }}"""
EDIT_MARKET = f"""mutation($i: EditMarketInput!) {{ editMarket(input: $i) {{
  market {{ {MARKET_FIELDS} }} {ERRORS} }} }}"""
RESULT_MARKET = f"""mutation($i: ResultMarketInput!) {{ resultMarket(input: $i) {{
  market {{ id status }} {ERRORS} }} }}"""
ROLLBACK_SETTLEMENT = f"""mutation($i: MarketCorrectionInput!) {{ rollbackSettlement(input: $i) {{
  market {{ id status }} {ERRORS} }} }}"""
VOID_MARKET = f"""mutation($i: MarketCorrectionInput!) {{ voidMarket(input: $i) {{
  market {{ id status }} {ERRORS} }} }}"""
CANCEL_BETS = f"""mutation($i: CancelBetsInput!) {{ cancelBets(input: $i) {{
  market {{ id status }} {ERRORS} }} }}"""
ROLLBACK_CANCELLATION = f"""mutation($i: MarketCorrectionInput!) {{
  rollbackCancellation(input: $i) {{ market {{ id status }} {ERRORS} }} }}"""
PLACE_BET = f"""mutation($i: PlaceBetInput!) {{ placeBet(input: $i) {{
  bet {{ id status totalStake {{ amount }} potentialReturn {{ amount }} }} {ERRORS} }} }}"""
BET = """query($id: ID!) { node(id: $id) { ... on Bet { status payout { amount } } } }"""
WHY = {"reason": "Trading desk"}


def _key() -> str:
    return uuid.uuid4().hex[:10]


async def _trader(server: str, db: Database) -> Api:
    return await signed_in_staff(Api(server, AURORA), db, f"t-{_key()}@op.example", ["trader"])


async def _ok(api: Api, document: str, values: dict[str, Any]) -> dict[str, Any]:
    body = (await api.query(document, {"i": {**values, **WHY}})).data
    payload = next(iter(body.values()))
    assert payload["errors"] == [], payload
    result = next(value for key, value in payload.items() if key != "errors")
    assert isinstance(result, dict)
    return result


async def _event(trader: Api, sport: str = "football", **fixture: Any) -> dict[str, Any]:
    """A sport, a competition and an event of the trader's, starting tomorrow."""
    sport_row = await _ok(trader, CREATE_SPORT, {"key": f"{sport}-{_key()}", "name": sport})
    competition = await _ok(
        trader,
        CREATE_COMPETITION,
        {"sport": sport_row["id"], "key": "league", "name": "League", "country": "GB"},
    )
    starts = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    return await _ok(
        trader,
        CREATE_EVENT,
        {"competition": competition["id"], "startsAt": starts.isoformat(), "name": "Match"}
        | fixture,
    )


async def _match_result(trader: Api, event: dict[str, Any]) -> dict[str, Any]:
    outcomes = [
        {"key": "home", "name": "Home", "odds": "2.50"},
        {"key": "draw", "name": "Draw", "odds": "3.20"},
        {"key": "away", "name": "Away", "odds": "2.80"},
    ]
    return await _ok(
        trader,
        CREATE_MARKET,
        {
            "event": event["id"],
            "type": "match_result",
            "name": "Match result",
            "outcomes": outcomes,
        },
    )


def _ids(market: dict[str, Any]) -> dict[str, str]:
    return {o["key"]: o["id"] for o in market["outcomes"]}


async def _bet(
    api: Api, outcome: str, odds: str, *, amount: str = "10.00", each_way: bool = False
) -> dict[str, Any]:
    slip = {
        "selections": [{"outcome": outcome, "odds": odds}],
        "type": "SINGLE",
        "stake": {"amount": amount, "currency": "GBP"},
        "eachWay": each_way,
        "idempotencyKey": _key(),
    }
    return (await api.query(PLACE_BET, {"i": slip})).data["placeBet"]  # type: ignore[no-any-return]


LEGS = """{ viewer { player { bets(first: 5) { edges { node { legs {
  result deadHeatFactor placeResult } } } } } } }"""


async def _legs(api: Api) -> list[Any]:
    """The legs of the player's bets as their bet history shows them."""
    edges = (await api.query(LEGS)).data["viewer"]["player"]["bets"]["edges"]
    return [edge["node"]["legs"] for edge in edges]


def _results(ids: dict[str, str], winner: str, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"outcome": outcome, "result": "WIN" if key == winner else "LOSE", **extra.get(key, {})}
        for key, outcome in ids.items()
    ]


async def test_a_trader_builds_an_event_and_its_market_that_players_see_and_bet_on(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)

    event = await _event(trader, name="Arsenal v Chelsea", home="Arsenal", away="Chelsea")
    market = await _match_result(trader, event)
    total = await _ok(
        trader,
        CREATE_MARKET,
        {
            "event": event["id"], "type": "total", "name": "Total goals",
            "specifiers": "total=2.5",
            "outcomes": [
                {"key": "over", "name": "Over 2.5", "odds": "1.90"},
                {"key": "under", "name": "Under 2.5", "odds": "1.95"},
            ],
        },
    )  # fmt: skip
    player, _ = await signed_in_bettor(server, AURORA, db)
    placed = await _bet(player, _ids(market)["home"], "2.50")

    assert event["status"] == "SCHEDULED" and event["home"] == "Arsenal"
    assert market["status"] == "ACTIVE"
    assert [(o["key"], o["odds"]) for o in market["outcomes"]] == [
        ("home", "2.5000"), ("draw", "3.2000"), ("away", "2.8000"),
    ]  # fmt: skip
    assert (total["specifiers"], total["eachWayPlaces"]) == ("total=2.5", None)
    assert placed["errors"] == []
    assert placed["bet"]["potentialReturn"] == {"amount": "25.00"}


async def test_a_trader_results_a_market_and_the_winners_are_paid_exactly(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    market = await _match_result(trader, await _event(trader))
    ids = _ids(market)
    home_api, home_player = await signed_in_bettor(server, AURORA, db)
    away_api, away_player = await signed_in_bettor(server, AURORA, db)
    home_bet = (await _bet(home_api, ids["home"], "2.50"))["bet"]["id"]
    await _bet(away_api, ids["away"], "2.80")

    resulted = await _ok(
        trader, RESULT_MARKET, {"market": market["id"], "outcomes": _results(ids, "home")}
    )

    assert resulted["status"] == "SETTLED"
    assert await cash_of(db, home_player) == 100_00 - 10_00 + 25_00
    assert await cash_of(db, away_player) == 100_00 - 10_00
    seen = (await home_api.query(BET, {"id": home_bet})).data["node"]
    assert seen == {"status": "WON", "payout": {"amount": "25.00"}}


async def test_a_rollback_and_resettlement_leave_balances_as_the_second_settlement_alone(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    market = await _match_result(trader, await _event(trader))
    ids = _ids(market)
    bettors, apis = {}, {}
    for key, odds in (("home", "2.50"), ("draw", "3.20"), ("away", "2.80")):
        api, player = await signed_in_bettor(server, AURORA, db)
        assert (await _bet(api, ids[key], odds))["errors"] == []
        bettors[key], apis[key] = player, api
    market_id = market["id"]

    await _ok(trader, RESULT_MARKET, {"market": market_id, "outcomes": _results(ids, "home")})
    rolled_back = await _ok(trader, ROLLBACK_SETTLEMENT, {"market": market_id})
    after_rollback = {key: await cash_of(db, player) for key, player in bettors.items()}
    # A dead heat the second time: two share the win, each paid half the odds.
    second = [
        {"outcome": ids["home"], "result": "LOSE"},
        {"outcome": ids["draw"], "result": "WIN", "deadHeatFactor": "0.5"},
        {"outcome": ids["away"], "result": "WIN", "deadHeatFactor": "0.5"},
    ]
    resettled = await _ok(trader, RESULT_MARKET, {"market": market_id, "outcomes": second})

    assert rolled_back["status"] == "SUSPENDED"
    assert after_rollback == {"home": 90_00, "draw": 90_00, "away": 90_00}
    assert resettled["status"] == "SETTLED"
    assert {key: await _legs(api) for key, api in apis.items()} == {
        "home": [[{"result": "LOSE", "deadHeatFactor": None, "placeResult": None}]],
        "draw": [[{"result": "WIN", "deadHeatFactor": "1/2", "placeResult": None}]],
        "away": [[{"result": "WIN", "deadHeatFactor": "1/2", "placeResult": None}]],
    }
    assert {key: await cash_of(db, player) for key, player in bettors.items()} == {
        "home": 90_00,
        "draw": 90_00 + 16_00,  # 10.00 * 3.20 * 1/2
        "away": 90_00 + 14_00,  # 10.00 * 2.80 * 1/2
    }
    again = await trader.query(ROLLBACK_SETTLEMENT, {"i": {"market": market_id, **WHY}})
    assert again.data["rollbackSettlement"]["errors"] == []
    twice = await trader.query(ROLLBACK_SETTLEMENT, {"i": {"market": market_id, **WHY}})
    assert [e["code"] for e in twice.data["rollbackSettlement"]["errors"]] == ["MARKET_NOT_SETTLED"]


async def test_half_wins_and_half_losses_of_a_quarter_line_pay_exactly(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    event = await _event(trader)
    market = await _ok(
        trader,
        CREATE_MARKET,
        {
            "event": event["id"], "type": "asian_handicap", "name": "Asian handicap",
            "specifiers": "hcp=-0.25",
            "outcomes": [
                {"key": "home", "name": "Home -0.25", "odds": "2.00"},
                {"key": "away", "name": "Away +0.25", "odds": "1.80"},
            ],
        },
    )  # fmt: skip
    ids = _ids(market)
    home_api, home_player = await signed_in_bettor(server, AURORA, db)
    away_api, away_player = await signed_in_bettor(server, AURORA, db)
    await _bet(home_api, ids["home"], "2.00")
    await _bet(away_api, ids["away"], "1.80")

    # A draw: home -0.25 loses half, away +0.25 wins half.
    await _ok(
        trader,
        RESULT_MARKET,
        {
            "market": market["id"],
            "outcomes": [
                {"outcome": ids["home"], "result": "HALF_LOSE"},
                {"outcome": ids["away"], "result": "HALF_WIN"},
            ],
        },
    )

    assert await cash_of(db, home_player) == 90_00 + 5_00  # half the stake back
    assert await cash_of(db, away_player) == 90_00 + 14_00  # 10 * (1.80 + 1) / 2


async def test_a_trader_voids_a_market_and_cancels_bets_in_a_window(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    event = await _event(trader)
    market = await _match_result(trader, event)
    ids = _ids(market)
    early_api, early = await signed_in_bettor(server, AURORA, db)
    await _bet(early_api, ids["home"], "2.50")
    async with db.uow() as uow:
        between = await uow.session.scalar(text("SELECT clock_timestamp()"))
    late_api, late = await signed_in_bettor(server, AURORA, db)
    await _bet(late_api, ids["home"], "2.50")

    window = {
        "market": market["id"],
        "placedFrom": between.isoformat(),
        "placedTo": (between + timedelta(hours=1)).isoformat(),
    }
    cancelled = await _ok(trader, CANCEL_BETS, window)
    cash_after_window = (await cash_of(db, early), await cash_of(db, late))
    voided = await _ok(trader, VOID_MARKET, {"market": market["id"]})
    cash_after_void = (await cash_of(db, early), await cash_of(db, late))
    reinstated = await _ok(trader, ROLLBACK_CANCELLATION, {"market": market["id"]})

    assert cancelled["status"] == "ACTIVE"  # a window's cancellation: the market trades on
    assert cash_after_window == (90_00, 100_00)
    assert voided["status"] == "CANCELLED"
    assert cash_after_void == (100_00, 100_00)
    assert reinstated["status"] == "SUSPENDED"
    assert (await cash_of(db, early), await cash_of(db, late)) == (90_00, 90_00)


async def test_a_trader_starts_scores_and_ends_an_event_and_edits_a_market(
    server: str, db: Database
) -> None:
    trader = await _trader(server, db)
    event = await _event(trader, name="A v B", home="A", away="B")
    market = await _match_result(trader, event)

    started = await _ok(trader, EDIT_EVENT, {"event": event["id"], "status": "LIVE"})
    scored = await _ok(
        trader,
        SET_SCORE,
        {"event": event["id"], "home": 1, "away": 0, "period": "2H", "minute": 67},
    )
    edited = await _ok(
        trader,
        EDIT_MARKET,
        {
            "market": market["id"], "name": "1X2",
            "outcomes": [{"key": "home", "name": "Home", "odds": "1.40"}],
        },
    )  # fmt: skip
    ended = await _ok(trader, EDIT_EVENT, {"event": event["id"], "status": "ENDED"})
    bad_score = await trader.query(
        SET_SCORE, {"i": {"event": event["id"], "home": -1, "away": 0, **WHY}}
    )

    assert started["status"] == "LIVE"
    assert scored["score"] == {"home": 1, "away": 0}
    assert scored["clock"] == {"period": "2H", "minute": 67}
    assert edited["name"] == "1X2"
    assert [(o["key"], o["odds"]) for o in edited["outcomes"]] == [
        ("home", "1.4000"), ("draw", "3.2000"), ("away", "2.8000"),
    ]  # fmt: skip
    assert ended["status"] == "ENDED"
    assert [e["code"] for e in bad_score.data["setEventScore"]["errors"]] == ["INVALID_SCORE"]


async def test_refusals_are_typed_and_change_nothing(server: str, db: Database) -> None:
    trader = await _trader(server, db)
    event = await _event(trader)
    market = await _match_result(trader, event)
    ids = _ids(market)
    support = await signed_in_staff(Api(server, AURORA), db, f"s-{_key()}@op.example", ["support"])
    async with db.uow() as uow:
        audit_before = await uow.session.scalar(text("SELECT count(*) FROM audit_log"))

    denied = await support.query(CREATE_SPORT, {"i": {"key": "curling", "name": "Curling", **WHY}})
    duplicate = await trader.query(
        CREATE_MARKET,
        {"i": {"event": event["id"], "type": "match_result", "name": "Again",
               "outcomes": [{"key": "x", "name": "X", "odds": "2.00"}], **WHY}},
    )  # fmt: skip
    missing_outcome = await trader.query(
        RESULT_MARKET,
        {"i": {"market": market["id"], "outcomes": _results(ids, "home")[:2], **WHY}},
    )
    losing_dead_heat = _results(ids, "home")
    losing_dead_heat[1]["deadHeatFactor"] = "0.5"
    dead_heat_of_loser = await trader.query(
        RESULT_MARKET, {"i": {"market": market["id"], "outcomes": losing_dead_heat, **WHY}}
    )
    position_without_terms = _results(ids, "home", home={"place": 1})
    no_terms = await trader.query(
        RESULT_MARKET, {"i": {"market": market["id"], "outcomes": position_without_terms, **WHY}}
    )
    bad_terms = await trader.query(
        CREATE_MARKET,
        {"i": {"event": event["id"], "type": "race", "name": "Race",
               "placeTerms": {"places": 3, "fraction": "5/1"},
               "outcomes": [{"key": "x", "name": "X", "odds": "2.00"}], **WHY}},
    )  # fmt: skip
    no_reason = await trader.query(
        ROLLBACK_SETTLEMENT, {"i": {"market": market["id"], "reason": " "}}
    )

    def codes(response: Any, name: str) -> list[str]:
        return [error["code"] for error in response.data[name]["errors"]]

    assert codes(denied, "createSport") == ["PERMISSION_DENIED"]
    assert codes(duplicate, "createMarket") == ["ALREADY_EXISTS"]
    assert codes(missing_outcome, "resultMarket") == ["INVALID_RESULTS"]
    assert codes(dead_heat_of_loser, "resultMarket") == ["INVALID_RESULTS"]
    assert codes(no_terms, "resultMarket") == ["INVALID_RESULTS"]
    assert codes(bad_terms, "createMarket") == ["INVALID_PLACE_TERMS"]
    assert codes(no_reason, "rollbackSettlement") == ["REASON_REQUIRED"]
    async with db.uow() as uow:
        assert await uow.session.scalar(text("SELECT count(*) FROM audit_log")) == audit_before
        registers = await uow.session.scalar(
            text("SELECT count(*) FROM sportsbook_feed_market_results WHERE market_id = :m"),
            {"m": node_int(market["id"])},
        )
    assert registers == 0


async def test_every_trader_action_is_audited_with_its_reason(server: str, db: Database) -> None:
    async with db.uow() as uow:
        mark = await uow.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_log"))
    trader = await _trader(server, db)

    event = await _event(trader)
    market = await _match_result(trader, event)
    await _ok(trader, EDIT_EVENT, {"event": event["id"], "status": "LIVE"})
    await _ok(trader, SET_SCORE, {"event": event["id"], "home": 0, "away": 1})
    ids = _ids(market)
    await _ok(trader, RESULT_MARKET, {"market": market["id"], "outcomes": _results(ids, "away")})
    await _ok(trader, ROLLBACK_SETTLEMENT, {"market": market["id"]})
    await _ok(trader, VOID_MARKET, {"market": market["id"]})

    async with db.uow() as uow:
        rows = (
            await uow.session.execute(
                text(
                    "SELECT action, reason FROM audit_log WHERE id > :m "
                    "AND action LIKE 'sportsbook.%' ORDER BY id"
                ),
                {"m": mark},
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (action, WHY["reason"])
        for action in (
            "sportsbook.sport.create",
            "sportsbook.competition.create",
            "sportsbook.event.create",
            "sportsbook.market.create",
            "sportsbook.event.edit",
            "sportsbook.event.score",
            "sportsbook.market.result",
            "sportsbook.market.rollback",
            "sportsbook.market.void",
        )
    ]
