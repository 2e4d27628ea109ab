"""placeBet's round trips, counted in process: one slip built once from the input, the
player's currency read once (by the placement's own context read), and the bet with its
legs and outcomes read back in the placement's unit of work, not by a second resolver
call in a transaction of its own."""

from __future__ import annotations

from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from schema import build_schema
from tests.schema.sportsbook.support import add_market, gid
from tests.schema.wallets.support import fund
from tests.support import LOGIN, create_player, request_context, statements_of
from web.graphql import GraphQLContext

SCHEMA = build_schema(get_settings())
BRAND = "aurora"

PLACE_BET = """mutation($i: PlaceBetInput!) { placeBet(input: $i) {
  bet { id status totalStake { amount currency } legs { odds outcome { name } } }
  replayed errors { code field message } } }"""
PLACE_BET_WITHOUT_LEGS = """mutation($i: PlaceBetInput!) { placeBet(input: $i) {
  bet { id status } replayed errors { code } } }"""


def _context(db: Database, registry: BrandRegistry, token: str | None) -> GraphQLContext:
    return request_context(db, registry, BRAND, token)


async def _bettor(db: Database, registry: BrandRegistry) -> str:
    """A signed-in player of aurora with 100.00 EUR cash: their bearer token."""
    player_id = await create_player(db, registry, email="bettor@example.com")
    await fund(db, player_id, 100_00)
    signed_in = await SCHEMA.execute(
        LOGIN,
        variable_values={
            "input": {"identifier": "bettor@example.com", "password": "correct horse battery"}
        },
        context_value=_context(db, registry, None),
    )
    assert signed_in.errors is None, signed_in.errors
    return str(signed_in.data["login"]["token"])  # type: ignore[index]


async def _place(
    db: Database, registry: BrandRegistry, token: str, document: str, slip: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    with statements_of(db) as statements:
        result = await SCHEMA.execute(
            document, variable_values={"i": slip}, context_value=_context(db, registry, token)
        )
    assert result.errors is None, result.errors
    return result.data["placeBet"], statements  # type: ignore[index]


def _single(
    outcome_id: int, key: str, odds: str = "2.50", *, currency: str = "EUR"
) -> dict[str, Any]:
    return {
        "selections": [{"outcome": gid("Outcome", outcome_id), "odds": odds}],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": currency},
        "idempotencyKey": key,
    }


async def test_placing_a_bet_and_showing_it_with_its_legs_takes_five_statements(
    db: Database, registry: BrandRegistry
) -> None:
    token = await _bettor(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    # The brand's first bet in a currency opens its wagers account: not counted.
    await _place(db, registry, token, PLACE_BET, _single(market.outcomes["away"], "k-0", "1.60"))

    placed, statements = await _place(
        db, registry, token, PLACE_BET, _single(market.outcomes["home"], "k-1")
    )
    replayed, replay_statements = await _place(
        db, registry, token, PLACE_BET, _single(market.outcomes["home"], "k-1")
    )

    assert placed["errors"] == []
    assert placed["bet"]["totalStake"] == {"amount": "10.00", "currency": "EUR"}
    assert placed["bet"]["legs"] == [{"odds": "2.5000", "outcome": {"name": "home"}}]
    assert (replayed["bet"], replayed["replayed"]) == (placed["bet"], True)
    # The session; the player's context (currency, wallets, the key's bet); the selections;
    # the placement call; the bet with its legs and outcomes. (Before: 8, with a read of the
    # player's currency and three reads of the bet in a second transaction.)
    assert len(statements) == 5, statements
    assert len(replay_statements) <= len(statements), replay_statements


async def test_a_payload_without_legs_costs_no_more(db: Database, registry: BrandRegistry) -> None:
    token = await _bettor(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    await _place(db, registry, token, PLACE_BET, _single(market.outcomes["away"], "k-0", "1.60"))

    placed, statements = await _place(
        db, registry, token, PLACE_BET_WITHOUT_LEGS, _single(market.outcomes["home"], "k-1")
    )

    assert (placed["bet"]["status"], placed["errors"]) == ("OPEN", [])
    assert len(statements) == 5, statements


async def test_a_stake_in_another_currency_is_refused_and_stakes_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    token = await _bettor(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})

    refused, _statements = await _place(
        db, registry, token, PLACE_BET, _single(market.outcomes["home"], "k-1", currency="GBP")
    )
    balance = await SCHEMA.execute(
        "{ viewer { player { wallets { kind balance { amount currency } } } } }",
        context_value=_context(db, registry, token),
    )

    assert refused == {
        "bet": None,
        "replayed": False,
        "errors": [
            {"code": "UNSUPPORTED_CURRENCY", "field": "stake",
             "message": "Stake in your account's currency."}
        ],
    }  # fmt: skip
    assert balance.data is not None
    cash = [w for w in balance.data["viewer"]["player"]["wallets"] if w["kind"] == "CASH"]
    assert cash == [{"kind": "CASH", "balance": {"amount": "100.00", "currency": "EUR"}}]
