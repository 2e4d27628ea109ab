"""Game rounds over GraphQL, after real bets through the signed provider API: the player's
rounds, staff reconciliation with totals per currency, and big wins."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from strawberry.relay import from_base64

from domain.casino.catalog import seed_demo_catalog
from domain.kernel.db import Database
from domain.wallets.models import WalletKind
from tests.schema.accounts.test_player_list_queries import statements_on
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import Api
from tests.web.provider_simulator import ProviderSimulator
from tests.web.providers.conftest import fund

ROUNDS = """query($first: Int!, $after: String) { viewer { player { gameRounds(first: $first, after: $after) {
  edges { node { id roundId game { code name } stake { amount currency } win { amount }
                 refund { amount } status bigWin closedAt } }
  pageInfo { hasNextPage endCursor }
} } } }"""
RECONCILIATION = """query($from: DateTime!, $to: DateTime!, $roundId: String) {
  casinoReconciliation(from: $from, to: $to, provider: "stakehouse-originals", roundId: $roundId) {
    totals { currency roundCount stakes { amount } wins { amount } refunds { amount }
             grossGamingRevenue { amount } }
    rounds { edges { node { roundId bigWin stake { amount } win { amount }
      transactions { kind status amount { amount currency } providerTransactionId
                     referenceTransactionId } } } }
  }
}"""
BIG_WINS = """query($from: DateTime!, $to: DateTime!) {
  bigWins(from: $from, to: $to) { edges { node { roundId bigWin win { amount } } } }
}"""
LAUNCH = """mutation($g: ID!) { launchGame(input: {game: $g, mode: REAL}) {
  launchUrl errors { code } } }"""


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }


@pytest.fixture
async def gamer(
    aurora: Api, db: Database, server: str
) -> AsyncIterator[tuple[Api, ProviderSimulator]]:
    """A signed-in player with 10.00 EUR cash, playing Dice for real money, and the
    provider's simulator for that session."""
    async with db.transaction() as uow:
        await seed_demo_catalog(uow, ["aurora"])
    player = (await aurora.register(email="roller@example.com"))["player"]
    await aurora.login("roller@example.com")
    player_id = from_base64(player["id"])[1]
    await fund(db, uuid.UUID(player_id), WalletKind.CASH, 1_000)
    dice = (await aurora.query('{ casinoGame(code: "originals-dice") { id } }')).data
    launched = (await aurora.query(LAUNCH, {"g": dice["casinoGame"]["id"]})).data["launchGame"]
    token = parse_qs(urlsplit(launched["launchUrl"]).query)["token"][0]
    simulator = ProviderSimulator(server, token, player_id, game_code="originals-dice")
    yield aurora, simulator
    await simulator.aclose()


async def _play(provider: ProviderSimulator) -> None:
    """round-1: 3.00 staked, 5.00 won (closed); round-2: 2.00 staked and rolled back;
    round-3: 1.00 staked, still open."""
    assert (await provider.bet("b1", 300, "round-1")).status == "RS_OK"
    assert (await provider.win("w1", "b1", 500, "round-1", round_closed=True)).status == "RS_OK"
    assert (await provider.bet("b2", 200, "round-2")).status == "RS_OK"
    assert (await provider.rollback("rb2", "b2", "round-2")).status == "RS_OK"
    assert (await provider.bet("b3", 100, "round-3")).status == "RS_OK"


def _money(value: str) -> dict[str, str]:
    return {"amount": value}


async def test_the_player_sees_rounds_newest_first_after_bets_through_the_provider_api(
    gamer: tuple[Api, ProviderSimulator],
) -> None:
    player, provider = gamer
    await _play(provider)

    first = await player.query(ROUNDS, {"first": 2})
    page = first.data["viewer"]["player"]["gameRounds"]
    rest = await player.query(ROUNDS, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    transactions = await player.query(
        "{ viewer { player { gameRounds(first: 1) { edges { node { transactions { kind } } } } } } }"
    )

    rounds = [edge["node"] for edge in page["edges"]] + [
        edge["node"] for edge in rest.data["viewer"]["player"]["gameRounds"]["edges"]
    ]
    dice = {"code": "originals-dice", "name": "Dice"}
    assert [
        (
            r["roundId"],
            r["game"],
            r["stake"],
            r["win"]["amount"],
            r["refund"]["amount"],
            r["status"],
        )
        for r in rounds
    ] == [
        ("round-3", dice, {"amount": "1.00", "currency": "EUR"}, "0.00", "0.00", "OPEN"),
        ("round-2", dice, {"amount": "2.00", "currency": "EUR"}, "0.00", "2.00", "OPEN"),
        ("round-1", dice, {"amount": "3.00", "currency": "EUR"}, "5.00", "0.00", "CLOSED"),
    ]
    assert [r["closedAt"] is not None for r in rounds] == [False, False, True]
    assert [r["bigWin"] for r in rounds] == [False] * 3
    assert page["pageInfo"]["hasNextPage"] is True
    node = await player.query(
        "query($id: ID!) { node(id: $id) { ... on GameRound { roundId } } }",
        {"id": page["edges"][0]["node"]["id"]},
    )
    assert node.data["node"] == {"roundId": "round-3"}
    # Provider transaction ids are for staff.
    assert transactions.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_reconciliation_lists_rounds_with_transactions_and_totals_the_filter(
    gamer: tuple[Api, ProviderSimulator], aurora: Api, db: Database, server: str
) -> None:
    _, provider = gamer
    await _play(provider)
    finance = await signed_in_staff(Api(server, aurora.host), db, "fin@op.example", ["finance"])

    with statements_on("casino_transactions") as statements:
        everything = (await finance.query(RECONCILIATION, _period())).data["casinoReconciliation"]
    one = (await finance.query(RECONCILIATION, {**_period(), "roundId": "round-2"})).data

    assert everything["totals"] == [
        {"currency": "EUR", "roundCount": 3, "stakes": _money("6.00"), "wins": _money("5.00"),
         "refunds": _money("2.00"), "grossGamingRevenue": _money("-1.00")}
    ]  # fmt: skip
    rounds = [edge["node"] for edge in everything["rounds"]["edges"]]
    assert [r["roundId"] for r in rounds] == ["round-3", "round-2", "round-1"]
    assert len(statements) == 1  # the transactions of the whole page at once
    assert [
        (t["kind"], t["status"], t["amount"]["amount"], t["providerTransactionId"],
         t["referenceTransactionId"])
        for r in rounds for t in r["transactions"]
    ] == [
        ("BET", "ACCEPTED", "1.00", "b3", None),
        ("BET", "ROLLED_BACK", "2.00", "b2", None),
        ("ROLLBACK", "ACCEPTED", "0.00", "rb2", "b2"),
        ("BET", "ACCEPTED", "3.00", "b1", None),
        ("WIN", "ACCEPTED", "5.00", "w1", "b1"),
    ]  # fmt: skip
    assert one["casinoReconciliation"]["totals"] == [
        {"currency": "EUR", "roundCount": 1, "stakes": _money("2.00"), "wins": _money("0.00"),
         "refunds": _money("2.00"), "grossGamingRevenue": _money("0.00")}
    ]  # fmt: skip
    await finance.aclose()


async def test_reconciliation_is_for_finance_risk_and_admin_only(
    gamer: tuple[Api, ProviderSimulator], aurora: Api, db: Database, server: str
) -> None:
    player, _ = gamer
    support = await signed_in_staff(Api(server, aurora.host), db, "sup@op.example", ["support"])
    anonymous = Api(server, aurora.host)

    results = [
        await client.query(RECONCILIATION, _period()) for client in (support, player, anonymous)
    ]

    assert [r.body["data"] for r in results] == [None] * 3
    assert [r.body["errors"][0]["extensions"]["code"] for r in results] == [
        "PERMISSION_DENIED", "PERMISSION_DENIED", "NOT_AUTHENTICATED",
    ]  # fmt: skip
    await support.aclose()
    await anonymous.aclose()


async def test_big_wins_reach_both_the_stake_multiple_and_the_minimum_amount(
    gamer: tuple[Api, ProviderSimulator], aurora: Api, db: Database, server: str
) -> None:
    player, provider = gamer
    # The default rule: at least 350 times the stake and at least 1000.00 (EUR).
    await provider.bet("b1", 300, "big")
    await provider.win("w1", "b1", 105_000, "big", round_closed=True)
    await provider.bet("b2", 100, "multiple-only")
    await provider.win("w2", "b2", 35_000, "multiple-only", round_closed=True)
    await provider.bet("b3", 500, "amount-only")
    await provider.win("w3", "b3", 150_000, "amount-only", round_closed=True)
    risk = await signed_in_staff(Api(server, aurora.host), db, "risk@op.example", ["risk"])

    flagged = (await risk.query(BIG_WINS, _period())).data["bigWins"]["edges"]
    mine = (await player.query(ROUNDS, {"first": 5})).data["viewer"]["player"]["gameRounds"]

    assert [edge["node"] for edge in flagged] == [
        {"roundId": "big", "bigWin": True, "win": _money("1050.00")}
    ]
    assert [(e["node"]["roundId"], e["node"]["bigWin"]) for e in mine["edges"]] == [
        ("amount-only", False), ("multiple-only", False), ("big", True),
    ]  # fmt: skip
    await risk.aclose()


async def test_bad_reconciliation_filters_are_errors_with_codes(
    aurora: Api, db: Database, server: str
) -> None:
    admin = await signed_in_staff(Api(server, aurora.host), db, "adm@op.example", ["admin"])
    now = datetime.now(UTC)
    backwards: dict[str, Any] = {"from": now.isoformat(), "to": (now - timedelta(1)).isoformat()}
    too_long = {"from": (now - timedelta(days=400)).isoformat(), "to": now.isoformat()}

    results = [
        await admin.query(RECONCILIATION, backwards),
        await admin.query(RECONCILIATION, too_long),
        await admin.query(
            "query($from: DateTime!, $to: DateTime!) { bigWins(from: $from, to: $to, "
            'after: "nope") { edges { cursor } } }',
            _period(),
        ),
    ]

    assert [r.body["errors"][0]["extensions"]["code"] for r in results] == [
        "INVALID_FILTER", "INVALID_FILTER", "INVALID_CURSOR",
    ]  # fmt: skip
    await admin.aclose()
