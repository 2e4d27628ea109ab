"""Wallets and the transaction history over GraphQL: what a player and staff see, what
they may not, bad input, and the statement count of list queries."""

from __future__ import annotations

import uuid
from typing import Any

from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.wallets import history
from domain.wallets.models import WalletKind
from tests.schema.wallets.support import (
    counted_statements,
    database_now,
    error_codes,
    fund,
    ledger_id,
    player_global_id,
    player_of,
    signed_in_player,
    signed_in_staff,
    spend,
)
from tests.support import AURORA, NORTHSTAR, Api

WALLETS = "{ viewer { player { wallets { kind balance { amount currency amountMinorUnits } } } } }"
TRANSACTIONS = """
query($first: Int!, $after: String, $kinds: [String!], $from: DateTime, $to: DateTime,
      $wallet: WalletKind) {
  viewer { player { transactions(first: $first, after: $after, kinds: $kinds, from: $from,
                                 to: $to, walletKind: $wallet) {
    edges { cursor node { id transactionId kind wallet amount { amount currency }
                          balanceAfter { amount } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }
}"""
PLAYER_WALLETS = """query($id: ID!) {
  playerWallets(playerId: $id) { kind balance { amount currency } } }"""
PLAYERS_WITH_WALLETS = """query($s: String!) {
  players(search: $s, first: 100) { email wallets { kind balance { amount } } } }"""
NODE_MOVEMENT = """query($id: ID!) {
  node(id: $id) { ... on WalletTransaction { kind amount { amount } } } }"""


def _transactions(response: Any) -> dict[str, Any]:
    return dict(response.data["viewer"]["player"]["transactions"])


def _amounts(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["amount"]["amount"] for edge in connection["edges"]]


async def test_the_viewer_sees_every_wallet_with_its_balance_as_money(
    server: str, db: Database
) -> None:
    player, player_id = await signed_in_player(server, AURORA, "ana@example.com")
    await fund(db, player_id, 1_250)
    await fund(db, player_id, 5, wallet=WalletKind.BONUS, kind="bonus_grant")

    result = await player.query(WALLETS)

    assert result.data["viewer"]["player"]["wallets"] == [
        {"kind": kind, "balance": {"amount": amount, "currency": "EUR", "amountMinorUnits": minor}}
        for kind, amount, minor in [
            ("CASH", "12.50", "1250"),
            ("BONUS", "0.05", "5"),
            ("WITHDRAWAL_PENDING", "0.00", "0"),
            ("CASINO_BONUS", "0.00", "0"),
            ("SPORTSBOOK_FREE_BET", "0.00", "0"),
            ("LOYALTY_POINTS", "0.00", "0"),
        ]
    ]
    await player.aclose()


async def test_transactions_come_in_keyset_pages_newest_first(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "ben@example.com")
    deposit = await fund(db, player_id, 1_000)
    await spend(db, player_id, 250)
    await spend(db, player_id, 100)

    first = _transactions(await player.query(TRANSACTIONS, {"first": 2}))
    second = _transactions(
        await player.query(TRANSACTIONS, {"first": 2, "after": first["pageInfo"]["endCursor"]})
    )

    assert _amounts(first) == ["-1.00", "-2.50"]
    assert [e["node"]["balanceAfter"]["amount"] for e in first["edges"]] == ["6.50", "7.50"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert second["edges"][0]["node"] | {"id": None} == {
        "id": None,
        "transactionId": ledger_id(deposit.transaction_id),
        "kind": "deposit",
        "wallet": "CASH",
        "amount": {"amount": "10.00", "currency": "EUR"},
        "balanceAfter": {"amount": "10.00"},
    }
    assert second["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": second["edges"][0]["cursor"],
        "endCursor": second["edges"][0]["cursor"],
    }
    await player.aclose()


async def test_transactions_filter_by_kind_wallet_and_date_range(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "cy@example.com")
    await fund(db, player_id, 1_000)
    moment = await database_now(db)
    await fund(db, player_id, 300, wallet=WalletKind.BONUS, kind="bonus_grant")
    await spend(db, player_id, 200)

    deposits = await player.query(TRANSACTIONS, {"first": 10, "kinds": ["deposit"]})
    bonus = await player.query(TRANSACTIONS, {"first": 10, "wallet": "BONUS"})
    since = await player.query(TRANSACTIONS, {"first": 10, "from": moment.isoformat()})
    until = await player.query(TRANSACTIONS, {"first": 10, "to": moment.isoformat()})

    assert _amounts(_transactions(deposits)) == ["10.00"]
    assert _amounts(_transactions(bonus)) == ["3.00"]
    assert _amounts(_transactions(since)) == ["-2.00", "3.00"]
    assert _amounts(_transactions(until)) == ["10.00"]
    await player.aclose()


async def test_bad_page_arguments_are_typed_errors(server: str, db: Database) -> None:
    player, _ = await signed_in_player(server, AURORA, "dee@example.com")

    too_many = await player.query(TRANSACTIONS, {"first": 101})
    none = await player.query(TRANSACTIONS, {"first": 0})
    bad_cursor = await player.query(TRANSACTIONS, {"first": 5, "after": "bm90LWEtY3Vyc29y"})
    inverted = await player.query(
        TRANSACTIONS,
        {"first": 5, "from": "2026-02-01T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"},
    )

    assert error_codes(too_many) == ["INVALID_PAGE_SIZE"]
    assert error_codes(none) == ["INVALID_PAGE_SIZE"]
    assert error_codes(bad_cursor) == ["INVALID_CURSOR"]
    assert error_codes(inverted) == ["INVALID_FILTER"]
    assert too_many.body["errors"][0]["message"] == "Ask for 1 to 100 items per page."
    await player.aclose()


async def test_a_token_of_one_brand_reads_no_wallet_on_another(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "eve@example.com")
    await fund(db, player_id, 700)
    on_northstar = Api(server, NORTHSTAR)
    on_northstar.token = player.token

    result = await on_northstar.query(WALLETS)
    movements = await on_northstar.query(TRANSACTIONS, {"first": 5})

    for answer in (result, movements):
        assert answer.data == {"viewer": None} and "errors" not in answer.body
    await player.aclose()
    await on_northstar.aclose()


async def test_a_player_sees_only_their_own_movements_and_wallets(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player, player_id = await signed_in_player(server, AURORA, "fay@example.com")
    other = await player_of(db, registry)
    await fund(db, player_id, 100)
    await fund(db, other, 900)
    mine = _transactions(await player.query(TRANSACTIONS, {"first": 5}))["edges"][0]["node"]
    async with db.uow() as uow:
        movements = await history.page(uow, "aurora", other)
    theirs = to_base64("WalletTransaction", movements.movements[0].entry_id)

    own = await player.query(NODE_MOVEMENT, {"id": mine["id"]})
    foreign = await player.query(NODE_MOVEMENT, {"id": theirs})
    foreign_player = await player.query(
        "query($id: ID!) { node(id: $id) { ... on Player { wallets { kind } } } }",
        {"id": player_global_id(other)},
    )
    staff_field = await player.query(PLAYER_WALLETS, {"id": player_global_id(other)})

    assert own.data == {"node": {"kind": "deposit", "amount": {"amount": "1.00"}}}
    assert foreign.data == {"node": None}
    assert foreign_player.data == {"node": None}
    assert error_codes(staff_field) == ["PERMISSION_DENIED"]
    await player.aclose()


async def test_staff_read_wallets_with_wallet_read_only(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player_id = await player_of(db, registry, email="gus@example.com")
    await fund(db, player_id, 4_200)
    support = await signed_in_staff(server, AURORA, db, ["support"])
    crm = await signed_in_staff(server, AURORA, db, ["crm"])
    anonymous = Api(server, AURORA)
    variables = {"id": player_global_id(player_id)}

    as_support = await support.query(PLAYER_WALLETS, variables)
    as_crm = await crm.query(PLAYER_WALLETS, variables)
    as_anonymous = await anonymous.query(PLAYER_WALLETS, variables)
    crm_listing = await crm.query(PLAYERS_WITH_WALLETS, {"s": "gus"})
    unknown = await support.query(PLAYER_WALLETS, {"id": player_global_id(uuid.uuid4())})

    assert as_support.data["playerWallets"][0] == {
        "kind": "CASH",
        "balance": {"amount": "42.00", "currency": "EUR"},
    }
    assert error_codes(as_crm) == ["PERMISSION_DENIED"]
    assert error_codes(as_anonymous) == ["NOT_AUTHENTICATED"]
    # crm reads players but not their money: the wallets field is denied, nothing leaks.
    assert error_codes(crm_listing) == ["PERMISSION_DENIED"]
    assert crm_listing.body["data"] is None
    assert unknown.data == {"playerWallets": None}
    for api in (support, crm, anonymous):
        await api.aclose()


async def test_listing_wallets_of_many_players_costs_the_same_statements(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    support = await signed_in_staff(server, AURORA, db, ["support"])
    await player_of(db, registry, email="list-0@example.com")
    with counted_statements() as few:
        small = await support.query(PLAYERS_WITH_WALLETS, {"s": "list-"})
    for index in range(1, 8):
        await player_of(db, registry, email=f"list-{index}@example.com")
    with counted_statements() as many:
        large = await support.query(PLAYERS_WITH_WALLETS, {"s": "list-"})

    assert len(small.data["players"]) == 1
    assert len(large.data["players"]) == 8
    assert all(len(row["wallets"]) == 6 for row in large.data["players"])
    # The session with its principal, the players, one batch of wallets.
    assert len(few) == len(many) == 3, few
    await support.aclose()


async def test_a_longer_history_page_costs_the_same_statements(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "hal@example.com")
    await fund(db, player_id, 100)
    with counted_statements() as few:
        small = await player.query(TRANSACTIONS, {"first": 100})
    for _ in range(30):
        await spend(db, player_id, 1)
    with counted_statements() as many:
        large = await player.query(TRANSACTIONS, {"first": 100})

    assert len(_transactions(small)["edges"]) == 1
    assert len(_transactions(large)["edges"]) == 31
    # The session with its principal, the viewer, one page.
    assert len(few) == len(many) == 3, few
    await player.aclose()
