"""Trading over GraphQL for staff: suspensions, odds overrides, margins, liabilities and
voids. Only traders (market.trade, bet.void) may; every other caller gets a typed error
and nothing changes, not even the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from domain.kernel.db import Database
from tests.schema.accounts.test_staff import STAFF_LOGIN, _create_staff, signed_in_staff
from tests.schema.sportsbook.support import BookMarket, add_market, cash_of, gid, signed_in_bettor
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.support import AURORA, Api

SUSPEND_MARKET = """mutation($i: MarketSuspensionInput!) { suspendMarket(input: $i) {
  market { id status } errors { code field message } } }"""
RESUME_MARKET = """mutation($i: MarketSuspensionInput!) { resumeMarket(input: $i) {
  market { id status } errors { code field message } } }"""
SUSPEND_EVENT = """mutation($i: EventSuspensionInput!) { suspendEvent(input: $i) {
  event { id } markets { id status } errors { code field message } } }"""
RESUME_EVENT = """mutation($i: EventSuspensionInput!) { resumeEvent(input: $i) {
  event { id } markets { id status } errors { code field message } } }"""
OVERRIDE_ODDS = """mutation($i: OverrideOddsInput!) { overrideOdds(input: $i) {
  outcome { id odds } errors { code field message } } }"""
RELEASE_ODDS = """mutation($i: ReleaseOddsOverrideInput!) { releaseOddsOverride(input: $i) {
  outcome { id odds } errors { code field message } } }"""
SET_MARGIN = """mutation($i: SetMarketMarginInput!) { setMarketMargin(input: $i) {
  marketType margin errors { code field message } } }"""
VOID_BET = """mutation($i: VoidBetInput!) { voidBet(input: $i) {
  bet { id status payout { amount currency } } errors { code field message } } }"""
LIABILITIES = """query($m: ID!) { outcomeLiabilities(market: $m) {
  outcome { key } liabilities { amount currency } } }"""
EVENTS = """{ sportsbookEvents(first: 20) { edges { node { id
  markets { id status outcomes { key odds } } } } } }"""


async def _trader(server: str, db: Database, email: str = "trader@op.example") -> Api:
    return await signed_in_staff(Api(server, AURORA), db, email, ["trader"])


async def _audit_mark(db: Database) -> int:
    """The last audit row so far (the append-only log outlives each test's tables)."""
    async with db.uow() as uow:
        return int(await uow.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_log")))


async def _audit(db: Database, since: int) -> list[tuple[Any, ...]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            text(
                "SELECT action, subject_type, subject_id, reason, before, after FROM audit_log "
                "WHERE action LIKE 'sportsbook.%' AND id > :since ORDER BY id"
            ),
            {"since": since},
        )
    return [tuple(row) for row in rows]


async def _book(api: Api) -> dict[str, dict[str, Any]]:
    """Markets as `sportsbookEvents` lists them, by id."""
    edges = (await api.query(EVENTS)).data["sportsbookEvents"]["edges"]
    return {market["id"]: market for edge in edges for market in edge["node"]["markets"]}


async def _state(db: Database, anyone: Api, market: BookMarket, bet: str) -> Any:
    async with db.uow() as uow:
        margins = (await uow.session.execute(text("SELECT * FROM sportsbook_market_margins"))).all()
        bets = (await uow.session.execute(text("SELECT id, status FROM sportsbook_bets"))).all()
    return await _book(anyone), margins, bets, bet


def _every_operation(market: BookMarket, bet: str) -> list[tuple[str, str, dict[str, Any]]]:
    why = {"reason": "Injury news"}
    market_id, event_id = gid("Market", market.market_id), gid("SportsbookEvent", market.event_id)
    outcome = gid("Outcome", market.outcomes["home"])
    return [
        ("suspendMarket", SUSPEND_MARKET, {"market": market_id, **why}),
        ("resumeMarket", RESUME_MARKET, {"market": market_id, **why}),
        ("suspendEvent", SUSPEND_EVENT, {"event": event_id, **why}),
        ("resumeEvent", RESUME_EVENT, {"event": event_id, **why}),
        ("overrideOdds", OVERRIDE_ODDS, {"outcome": outcome, "odds": "3.10", **why}),
        ("releaseOddsOverride", RELEASE_ODDS, {"outcome": outcome, **why}),
        ("setMarketMargin", SET_MARGIN, {"marketType": "match_result", "margin": "0.05", **why}),
        ("voidBet", VOID_BET, {"bet": bet, **why}),
    ]


async def _placed_bet(server: str, db: Database, market: BookMarket) -> tuple[Api, Any, str]:
    player_api, player = await signed_in_bettor(server, AURORA, db)
    slip = single(market.outcomes["home"], "2.50", "trading-1")
    placed = (await player_api.query(PLACE_BET, {"i": slip})).data["placeBet"]
    assert placed["errors"] == []
    return player_api, player, placed["bet"]["id"]


async def test_only_traders_may_trade_and_refusals_change_nothing(
    server: str, db: Database
) -> None:
    mark = await _audit_mark(db)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    player_api, _, bet = await _placed_bet(server, db, market)
    support = await signed_in_staff(Api(server, AURORA), db, "sup@op.example", ["support"])
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])
    half_signed_in = Api(server, AURORA)  # one-time password, no TOTP yet
    one_time = await _create_staff(db, "new@op.example", ["trader"])
    login = await half_signed_in.query(
        STAFF_LOGIN, {"i": {"email": "new@op.example", "password": one_time}}
    )
    half_signed_in.token = login.data["staffLogin"]["token"]
    anonymous = Api(server, AURORA)
    before = await _state(db, anonymous, market, bet)
    callers = [
        (support, "PERMISSION_DENIED"),
        (finance, "PERMISSION_DENIED"),
        (player_api, "PERMISSION_DENIED"),
        (half_signed_in, "TWO_FACTOR_REQUIRED"),
        (anonymous, "NOT_AUTHENTICATED"),
    ]

    for api, code in callers:
        for name, document, values in _every_operation(market, bet):
            result = (await api.query(document, {"i": values})).data[name]
            assert result["errors"] == [
                {"code": code, "field": None, "message": result["errors"][0]["message"]}
            ], (name, code)
            assert [value for key, value in result.items() if key != "errors"] in (
                [None],
                [None, None],
                [None, []],
            ), (name, result)
        denied = await api.query(LIABILITIES, {"m": gid("Market", market.market_id)})
        assert denied.body["data"] is None
        assert denied.body["errors"][0]["extensions"]["code"] == code

    assert await _state(db, anonymous, market, bet) == before
    assert await _audit(db, mark) == []


async def test_a_trader_suspends_and_resumes_a_market_seen_in_the_book(
    server: str, db: Database
) -> None:
    mark = await _audit_mark(db)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    trader = await _trader(server, db)
    market_id = gid("Market", market.market_id)
    anyone = Api(server, AURORA)

    suspended = await trader.query(
        SUSPEND_MARKET, {"i": {"market": market_id, "reason": "Goal check"}}
    )
    seen_suspended = (await _book(anyone))[market_id]["status"]
    resumed = await trader.query(RESUME_MARKET, {"i": {"market": market_id, "reason": "Clear"}})

    assert suspended.data["suspendMarket"] == {
        "market": {"id": market_id, "status": "SUSPENDED"},
        "errors": [],
    }
    assert seen_suspended == "SUSPENDED"
    assert resumed.data["resumeMarket"]["market"] == {"id": market_id, "status": "ACTIVE"}
    assert (await _book(anyone))[market_id]["status"] == "ACTIVE"
    subject = str(market.market_id)
    assert await _audit(db, mark) == [
        ("sportsbook.market.suspend", "sportsbook_market", subject, "Goal check",
         {"status": "active", "suspended_by": None},
         {"status": "suspended", "suspended_by": "trader"}),
        ("sportsbook.market.resume", "sportsbook_market", subject, "Clear",
         {"status": "suspended", "suspended_by": "trader"},
         {"status": "active", "suspended_by": None}),
    ]  # fmt: skip


async def test_a_trader_suspends_a_whole_event(server: str, db: Database) -> None:
    mark = await _audit_mark(db)
    first = await add_market(db, {"home": "2.50", "away": "1.60"})
    second = await add_market(
        db, {"over": "1.90", "under": "1.90"}, event_id=first.event_id, market_type="total"
    )
    trader = await _trader(server, db)
    event = gid("SportsbookEvent", first.event_id)

    suspended = (await trader.query(SUSPEND_EVENT, {"i": {"event": event, "reason": "VAR"}})).data
    book = await _book(Api(server, AURORA))
    resumed = (await trader.query(RESUME_EVENT, {"i": {"event": event, "reason": "Done"}})).data

    ids = [gid("Market", first.market_id), gid("Market", second.market_id)]
    assert suspended["suspendEvent"] == {
        "event": {"id": event},
        "markets": [{"id": i, "status": "SUSPENDED"} for i in ids],
        "errors": [],
    }
    assert [book[i]["status"] for i in ids] == ["SUSPENDED", "SUSPENDED"]
    assert resumed["resumeEvent"]["markets"] == [{"id": i, "status": "ACTIVE"} for i in ids]
    assert len(await _audit(db, mark)) == 4


async def test_an_odds_override_shows_in_the_book_and_is_released(
    server: str, db: Database
) -> None:
    mark = await _audit_mark(db)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    trader = await _trader(server, db)
    outcome = gid("Outcome", market.outcomes["home"])
    anyone = Api(server, AURORA)

    overridden = await trader.query(
        OVERRIDE_ODDS, {"i": {"outcome": outcome, "odds": "3.10", "reason": "Sharp money"}}
    )
    shown = (await _book(anyone))[gid("Market", market.market_id)]["outcomes"]
    invalid = await trader.query(
        OVERRIDE_ODDS, {"i": {"outcome": outcome, "odds": "0.50", "reason": "Typo"}}
    )
    no_reason = await trader.query(
        OVERRIDE_ODDS, {"i": {"outcome": outcome, "odds": "4.00", "reason": "  "}}
    )
    released = await trader.query(RELEASE_ODDS, {"i": {"outcome": outcome, "reason": "Back"}})

    assert overridden.data["overrideOdds"] == {
        "outcome": {"id": outcome, "odds": "3.1000"},
        "errors": [],
    }
    assert {o["key"]: o["odds"] for o in shown} == {"home": "3.1000", "away": "1.6000"}
    assert [e["code"] for e in invalid.data["overrideOdds"]["errors"]] == ["INVALID_ODDS"]
    assert no_reason.data["overrideOdds"]["errors"][0]["code"] == "REASON_REQUIRED"
    # No feed price yet: the override's odds stay, but no longer held against the feed.
    assert released.data["releaseOddsOverride"]["errors"] == []
    actions = [(row[0], row[3]) for row in await _audit(db, mark)]
    assert actions == [
        ("sportsbook.odds.override", "Sharp money"),
        ("sportsbook.odds.release", "Back"),
    ]


async def test_a_trader_sets_a_margin_and_bad_ones_are_refused(server: str, db: Database) -> None:
    mark = await _audit_mark(db)
    trader = await _trader(server, db)
    values = {"marketType": "match_result", "reason": "Derby"}

    done = await trader.query(SET_MARGIN, {"i": {**values, "margin": "0.0650"}})
    too_high = await trader.query(SET_MARGIN, {"i": {**values, "margin": "0.75"}})

    assert done.data["setMarketMargin"] == {
        "marketType": "match_result",
        "margin": "0.0650",
        "errors": [],
    }
    assert too_high.data["setMarketMargin"]["errors"][0]["code"] == "INVALID_MARGIN"
    assert too_high.data["setMarketMargin"]["errors"][0]["field"] == "margin"
    assert [row[0] for row in await _audit(db, mark)] == ["sportsbook.margin.set"]


async def test_voiding_a_bet_refunds_the_stake_and_releases_the_liability(
    server: str, db: Database
) -> None:
    mark = await _audit_mark(db)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    player_api, player, bet = await _placed_bet(server, db, market)
    trader = await _trader(server, db)
    market_id = gid("Market", market.market_id)
    staked_cash = await cash_of(db, player)
    liabilities = (await trader.query(LIABILITIES, {"m": market_id})).data

    voided = await trader.query(VOID_BET, {"i": {"bet": bet, "reason": "Palpable error"}})
    again = await trader.query(VOID_BET, {"i": {"bet": bet, "reason": "Twice"}})
    unknown = await trader.query(VOID_BET, {"i": {"bet": gid("Bet", 999_999), "reason": "?"}})

    assert staked_cash == 90_00
    assert liabilities["outcomeLiabilities"] == [
        {"outcome": {"key": "home"}, "liabilities": [{"amount": "25.00", "currency": "GBP"}]},
        {"outcome": {"key": "away"}, "liabilities": []},
    ]
    assert voided.data["voidBet"] == {
        "bet": {"id": bet, "status": "CANCELLED", "payout": {"amount": "10.00", "currency": "GBP"}},
        "errors": [],
    }
    assert await cash_of(db, player) == 100_00
    assert again.data["voidBet"]["errors"][0]["code"] == "BET_NOT_VOIDABLE"
    assert unknown.data["voidBet"]["errors"][0] == {
        "code": "BET_NOT_FOUND", "field": "bet", "message": "No such bet.",
    }  # fmt: skip
    released = (await trader.query(LIABILITIES, {"m": market_id})).data["outcomeLiabilities"]
    assert all(money["amount"] == "0.00" for entry in released for money in entry["liabilities"])
    audit = await _audit(db, mark)
    assert [(row[0], row[3], row[5]) for row in audit] == [
        ("sportsbook.bet.void", "Palpable error", {"status": "cancelled", "refund_minor": 10_00}),
    ]
    await player_api.aclose()
