"""The shared sportsbook catalogue belongs to the platform trading desk (staff who hold
every brand): a brand's admin cannot change the book even on its own host, and reads only
its own brand's share of the liabilities."""

from __future__ import annotations

import uuid

from domain.kernel.db import Database
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.sportsbook.support import BookMarket, add_market, gid, signed_in_bettor
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.schema.wallets.support import fund, signed_in_player
from tests.support import AURORA, NORTHSTAR, Api, GraphQLResponse

REASON = "scope check"


SUSPEND = """mutation($i: MarketSuspensionInput!) { suspendMarket(input: $i) {
  market { id status } errors { code } } }"""
OVERRIDE = """mutation($i: OverrideOddsInput!) { overrideOdds(input: $i) {
  outcome { odds } errors { code } } }"""
BOOK = """query($id: ID!) { node(id: $id) { ... on Market { status outcomes { key odds } } } }"""
LIABILITIES = """query($m: ID!) { outcomeLiabilities(market: $m) {
  outcome { key } liabilities { amount currency } } }"""
VOID = """mutation($i: VoidBetInput!) { voidBet(input: $i) { bet { status } errors { code } } }"""


async def test_only_the_trading_desk_changes_the_shared_book(server: str, db: Database) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    market_id, home = gid("Market", market.market_id), gid("Outcome", market.outcomes["home"])
    brand_admin = await signed_in_staff(
        Api(server, AURORA), db, "aurora-boss@op.example", ["admin"], ["aurora"]
    )
    desk = await signed_in_staff(Api(server, NORTHSTAR), db, "desk@op.example", ["trader"])
    why = {"reason": REASON}

    refused = [
        (await brand_admin.query(SUSPEND, {"i": {"market": market_id, **why}})).data,
        (await brand_admin.query(OVERRIDE, {"i": {"outcome": home, "odds": "3.00", **why}})).data,
    ]
    untouched = (await Api(server, NORTHSTAR).query(BOOK, {"id": market_id})).data["node"]
    priced = await desk.query(OVERRIDE, {"i": {"outcome": home, "odds": "3.00", **why}})
    suspended = await desk.query(SUSPEND, {"i": {"market": market_id, **why}})

    assert refused == [
        {"suspendMarket": {"market": None, "errors": [{"code": "PERMISSION_DENIED"}]}},
        {"overrideOdds": {"outcome": None, "errors": [{"code": "PERMISSION_DENIED"}]}},
    ]
    assert untouched == {
        "status": "ACTIVE",
        "outcomes": [{"key": "home", "odds": "2.5000"}, {"key": "away", "odds": "1.6000"}],
    }
    assert priced.data["overrideOdds"] == {"outcome": {"odds": "3.0000"}, "errors": []}
    assert suspended.data["suspendMarket"]["errors"] == []
    # One book: aurora's players see what the desk did from northstar's host.
    seen_on_aurora = (await Api(server, AURORA).query(BOOK, {"id": market_id})).data["node"]
    assert seen_on_aurora["status"] == "SUSPENDED"
    assert seen_on_aurora["outcomes"][0] == {"key": "home", "odds": "3.0000"}


async def _bet(api: Api, market: BookMarket, amount: str, currency: str) -> str:
    slip = single(market.outcomes["home"], "2.50", uuid.uuid4().hex)
    slip["stake"] = {"amount": amount, "currency": currency}
    placed = (await api.query(PLACE_BET, {"i": slip})).data["placeBet"]
    assert placed["errors"] == []
    return str(placed["bet"]["id"])


async def test_liabilities_are_the_whole_books_for_the_desk_and_a_brands_own_for_its_staff(
    server: str, db: Database
) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    aurora_bettor, _ = await signed_in_bettor(server, AURORA, db, currency="EUR")
    aurora_bet = await _bet(aurora_bettor, market, "10.00", "EUR")
    northstar_bettor, northstar_player = await signed_in_player(
        server, NORTHSTAR, "sven@example.com"
    )
    await fund(db, northstar_player, 1_000_00, brand="northstar", currency="SEK")
    await _bet(northstar_bettor, market, "100.00", "SEK")
    desk = await signed_in_staff(Api(server, AURORA), db, "desk2@op.example", ["trader"])
    aurora_admin = await signed_in_staff(
        Api(server, AURORA), db, "aurora-risk@op.example", ["admin"], ["aurora"]
    )
    northstar_admin = await signed_in_staff(
        Api(server, NORTHSTAR), db, "northstar-risk@op.example", ["admin"], ["northstar"]
    )

    def home(api_answer: GraphQLResponse) -> list[dict[str, str]]:
        rows = {row["outcome"]["key"]: row for row in api_answer.data["outcomeLiabilities"]}
        assert rows["away"]["liabilities"] == []
        return list(rows["home"]["liabilities"])

    variables = {"m": gid("Market", market.market_id)}
    assert home(await desk.query(LIABILITIES, variables)) == [
        {"amount": "25.00", "currency": "EUR"},
        {"amount": "250.00", "currency": "SEK"},
    ]
    assert home(await aurora_admin.query(LIABILITIES, variables)) == [
        {"amount": "25.00", "currency": "EUR"}
    ]
    assert home(await northstar_admin.query(LIABILITIES, variables)) == [
        {"amount": "250.00", "currency": "SEK"}
    ]

    voided = await aurora_admin.query(VOID, {"i": {"bet": aurora_bet, "reason": REASON}})

    assert voided.data["voidBet"] == {"bet": {"status": "CANCELLED"}, "errors": []}
    assert home(await aurora_admin.query(LIABILITIES, variables)) == []
    assert home(await desk.query(LIABILITIES, variables)) == [
        {"amount": "0.00", "currency": "EUR"},  # the book's row stays, released to zero
        {"amount": "250.00", "currency": "SEK"},
    ]
