"""Deposit search for staff with wallet.read: by player, status, amount range and time,
newest first, keyset pages of one statement each; amounts need their currency; staff
without wallet.read are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.payments.support import deposited, opened_deposit
from tests.schema.accounts.test_player_list_queries import statements_on
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, Api, create_player

DEPOSITS = """query($p: ID, $s: [PaymentStatus!], $c: String, $min: String, $max: String,
                   $from: DateTime, $first: Int!, $after: String) {
  deposits(playerId: $p, status: $s, currency: $c, amountMin: $min, amountMax: $max,
           from: $from, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { kind status amount { amount currency } } }
  }
}"""


def _amounts(answer: dict[str, Any]) -> list[str]:
    return [edge["node"]["amount"]["amount"] for edge in answer["deposits"]["edges"]]


async def test_finance_finds_a_players_deposits_by_status_amount_and_time(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    started = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    player_id = await create_player(db, registry, email="dep-search@example.com")
    for minor in (10_00, 25_00, 40_00):
        await deposited(db, player_id, minor)
    await opened_deposit(db, player_id, 99_00)  # never confirmed: pending
    finance = await signed_in_staff(Api(server, AURORA), db, "dep-fin@op.example", ["finance"])
    trader = await signed_in_staff(Api(server, AURORA), db, "dep-trd@op.example", ["trader"])
    mine = {"p": to_base64("Player", str(player_id)), "from": started}

    everything = (await finance.query(DEPOSITS, {**mine, "first": 10})).data
    succeeded = (await finance.query(DEPOSITS, {**mine, "s": ["SUCCEEDED"], "first": 2})).data
    with statements_on("payments") as statements:
        rest = (
            await finance.query(
                DEPOSITS,
                {
                    **mine,
                    "s": ["SUCCEEDED"],
                    "first": 2,
                    "after": succeeded["deposits"]["pageInfo"]["endCursor"],
                },
            )
        ).data
    ranged = (
        await finance.query(
            DEPOSITS, {**mine, "c": "EUR", "min": "20.00", "max": "40.00", "first": 10}
        )
    ).data
    no_currency = await finance.query(DEPOSITS, {**mine, "min": "20.00", "first": 10})
    refused = await trader.query(DEPOSITS, {"first": 10})

    assert _amounts(everything) == ["99.00", "40.00", "25.00", "10.00"]
    assert _amounts(succeeded) == ["40.00", "25.00"]
    assert succeeded["deposits"]["pageInfo"]["hasNextPage"] is True
    assert _amounts(rest) == ["10.00"] and len(statements) == 1
    assert _amounts(ranged) == ["40.00", "25.00"]
    assert no_currency.body["errors"][0]["extensions"]["code"] == "INVALID"
    assert refused.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
