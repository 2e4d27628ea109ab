"""placeBet over GraphQL: typed refusals that change nothing, one stake per idempotency
key, and the viewer's bets with their legs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from domain.kernel.db import Database
from domain.sportsbook.models import Bet
from tests.schema.sportsbook.support import add_market, cash_of, gid, signed_in_bettor
from tests.schema.wallets.support import counted_statements
from tests.support import AURORA, Api

PLACE_BET = """mutation($i: PlaceBetInput!) { placeBet(input: $i) {
  bet { id status type totalStake { amount currency } potentialReturn { amount }
        legs { odds display(format: FRACTIONAL) outcome { name } } }
  replayed currentOdds { outcome odds display(format: AMERICAN) }
  errors { code field message } } }"""

MY_BETS = """query($s: BetListStatus) { viewer { player { bets(first: 10, status: $s) {
  edges { node { id status stake { amount } payout { amount } cashOutValue { amount }
                 legs { odds } } } } } } }"""


def single(outcome_id: int, odds: str, key: str, amount: str = "10.00") -> dict[str, Any]:
    return {
        "selections": [{"outcome": gid("Outcome", outcome_id), "odds": odds}],
        "type": "SINGLE",
        "stake": {"amount": amount, "currency": "GBP"},
        "idempotencyKey": key,
    }


async def _bet_count(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Bet)) or 0)


async def test_a_single_is_placed_once_per_key(server: str, db: Database) -> None:
    api, player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    slip = single(market.outcomes["home"], "2.50", "slip-1")

    placed = (await api.query(PLACE_BET, {"i": slip})).data["placeBet"]
    again = (await api.query(PLACE_BET, {"i": slip})).data["placeBet"]
    other = (await api.query(PLACE_BET, {"i": {**slip, "stake": {"amount": "5.00", "currency": "GBP"}}})).data["placeBet"]  # fmt: skip

    assert placed == {
        "bet": {
            "id": placed["bet"]["id"],
            "status": "OPEN",
            "type": "SINGLE",
            "totalStake": {"amount": "10.00", "currency": "GBP"},
            "potentialReturn": {"amount": "25.00"},
            "legs": [{"odds": "2.5000", "display": "3/2", "outcome": {"name": "home"}}],
        },
        "replayed": False,
        "currentOdds": [],
        "errors": [],
    }
    assert (again["bet"]["id"], again["replayed"]) == (placed["bet"]["id"], True)
    assert other["bet"] is None
    assert other["errors"][0]["code"] == "IDEMPOTENCY_CONFLICT"
    assert await cash_of(db, player) == 90_00
    assert await _bet_count(db) == 1
    await api.aclose()


async def test_moved_odds_are_refused_with_the_odds_now_and_nothing_changes(
    server: str, db: Database
) -> None:
    api, player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "2.40", "away": "1.60"})

    refused = await api.query(PLACE_BET, {"i": single(market.outcomes["home"], "2.50", "k1")})
    higher = await api.query(
        PLACE_BET,
        {"i": {**single(market.outcomes["away"], "1.50", "k2"), "oddsPolicy": "HIGHER"}},
    )

    assert refused.data["placeBet"] == {
        "bet": None,
        "replayed": False,
        "currentOdds": [
            {"outcome": gid("Outcome", market.outcomes["home"]), "odds": "2.4000",
             "display": "+140"}
        ],
        "errors": [
            {"code": "ODDS_CHANGED", "field": "selections", "message": "The odds have changed."}
        ],
    }  # fmt: skip
    assert higher.data["placeBet"]["bet"]["legs"] == [
        {"odds": "1.6000", "display": "3/5", "outcome": {"name": "away"}}
    ]
    assert await cash_of(db, player) == 90_00
    assert await _bet_count(db) == 1
    await api.aclose()


async def test_typed_refusals_change_nothing(server: str, db: Database) -> None:
    api, player = await signed_in_bettor(server, AURORA, db, cash_minor=5_00)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    home = market.outcomes["home"]
    anonymous = Api(server, AURORA)

    cases = {
        "INSUFFICIENT_FUNDS": await api.query(PLACE_BET, {"i": single(home, "2.50", "a")}),
        "UNSUPPORTED_CURRENCY": await api.query(
            PLACE_BET,
            {"i": {**single(home, "2.50", "b"), "stake": {"amount": "1", "currency": "EUR"}}},
        ),
        "SELECTION_NOT_FOUND": await api.query(PLACE_BET, {"i": single(999_999, "2.50", "c")}),
        "INVALID_BET": await api.query(
            PLACE_BET, {"i": {**single(home, "2.50", "d"), "type": "MULTIPLE"}}
        ),
        "NOT_AUTHENTICATED": await anonymous.query(PLACE_BET, {"i": single(home, "2.50", "e")}),
    }

    for code, response in cases.items():
        assert response.data["placeBet"]["bet"] is None
        assert response.data["placeBet"]["errors"][0]["code"] == code
    assert await cash_of(db, player) == 5_00
    assert await _bet_count(db) == 0
    await api.aclose()
    await anonymous.aclose()


async def test_the_viewer_lists_open_and_settled_bets(server: str, db: Database) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    await api.query(PLACE_BET, {"i": single(market.outcomes["home"], "3.00", "v1")})
    stranger, _ = await signed_in_bettor(server, AURORA, db)

    open_bets = (await api.query(MY_BETS, {"s": "OPEN"})).data["viewer"]["player"]["bets"]
    settled = (await api.query(MY_BETS, {"s": "SETTLED"})).data["viewer"]["player"]["bets"]
    theirs = (await stranger.query(MY_BETS)).data["viewer"]["player"]["bets"]

    assert [edge["node"] | {"id": None} for edge in open_bets["edges"]] == [
        {
            "id": None,
            "status": "OPEN",
            "stake": {"amount": "10.00"},
            "payout": None,
            "cashOutValue": {"amount": "9.50"},
            "legs": [{"odds": "3.0000"}],
        }
    ]
    assert settled["edges"] == theirs["edges"] == []
    for closing in (api, stranger):
        await closing.aclose()


async def test_the_viewers_bets_with_legs_and_cash_out_values_cost_the_same_statements(
    server: str, db: Database
) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "3.00", "away": "1.40"})
    await api.query(PLACE_BET, {"i": single(market.outcomes["home"], "3.00", "n1")})
    with counted_statements() as one_bet:
        await api.query(MY_BETS)
    for key in ("n2", "n3", "n4"):
        await api.query(PLACE_BET, {"i": single(market.outcomes["away"], "1.40", key)})
    with counted_statements() as four_bets:
        bets = (await api.query(MY_BETS)).data["viewer"]["player"]["bets"]["edges"]

    assert [edge["node"]["cashOutValue"] for edge in bets] == [{"amount": "9.50"}] * 4
    # The session, the viewer's player, the page, the legs, the cash-out quotes.
    assert len(one_bet) == len(four_bets) == 5
    await api.aclose()
