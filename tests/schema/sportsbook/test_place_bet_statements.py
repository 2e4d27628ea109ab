"""placeBet's round trips, counted in process: one slip built once from the input, the
player's currency read once (by the placement's own context read), the session read in
the placement's own transaction (one connection, one BEGIN/COMMIT per request), and the
new bet shown as the placement wrote it, not read back (a replay reads it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

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


@contextmanager
def transactions_of(db: Database) -> Iterator[list[str]]:
    """The transactions `db`'s engine begins inside the block (each on a connection taken
    from the pool; a standalone autocommit statement counts as one too)."""
    begun: list[str] = []

    def checkout(*_args: object) -> None:
        begun.append("checkout")

    pool = db.engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    try:
        yield begun
    finally:
        event.remove(pool, "checkout", checkout)


async def _place(
    db: Database, registry: BrandRegistry, token: str, document: str, slip: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    placed, statements, _connections = await _place_counted(db, registry, token, document, slip)
    return placed, statements


async def _place_counted(
    db: Database, registry: BrandRegistry, token: str, document: str, slip: dict[str, Any]
) -> tuple[dict[str, Any], list[str], list[str]]:
    with statements_of(db) as statements, transactions_of(db) as connections:
        result = await SCHEMA.execute(
            document, variable_values={"i": slip}, context_value=_context(db, registry, token)
        )
    assert result.errors is None, result.errors
    return result.data["placeBet"], statements, connections  # type: ignore[index]


def _single(
    outcome_id: int, key: str, odds: str = "2.50", *, currency: str = "EUR"
) -> dict[str, Any]:
    return {
        "selections": [{"outcome": gid("Outcome", outcome_id), "odds": odds}],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": currency},
        "idempotencyKey": key,
    }


async def test_placing_a_bet_and_showing_it_with_its_legs_takes_four_statements_in_one_transaction(
    db: Database, registry: BrandRegistry
) -> None:
    token = await _bettor(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    # The brand's first bet in a currency opens its wagers account: not counted.
    await _place(db, registry, token, PLACE_BET, _single(market.outcomes["away"], "k-0", "1.60"))

    placed, statements, connections = await _place_counted(
        db, registry, token, PLACE_BET, _single(market.outcomes["home"], "k-1")
    )
    replayed, replay_statements, _ = await _place_counted(
        db, registry, token, PLACE_BET, _single(market.outcomes["home"], "k-1")
    )

    assert placed["errors"] == []
    assert placed["bet"]["totalStake"] == {"amount": "10.00", "currency": "EUR"}
    assert placed["bet"]["legs"] == [{"odds": "2.5000", "outcome": {"name": "home"}}]
    assert (replayed["bet"], replayed["replayed"]) == (placed["bet"], True)
    # In one transaction: the session; the player's context (currency, wallets, the key's
    # bet); the selections; the placement call. (Before: 8, with a read of the player's
    # currency and three reads of the bet in a second transaction; then 5, the session
    # alone on a connection of its own and the bet read back.)
    assert len(statements) == 4, statements
    assert len(connections) == 1, connections
    # A replay reads the bet it returns (the key's bet, its legs' odds, then the bet with
    # its legs and outcomes for the payload) in place of the placement call.
    assert len(replay_statements) == 5, replay_statements


async def test_a_payload_without_legs_costs_no_more(db: Database, registry: BrandRegistry) -> None:
    token = await _bettor(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    await _place(db, registry, token, PLACE_BET, _single(market.outcomes["away"], "k-0", "1.60"))

    placed, statements = await _place(
        db, registry, token, PLACE_BET_WITHOUT_LEGS, _single(market.outcomes["home"], "k-1")
    )

    assert (placed["bet"]["status"], placed["errors"]) == ("OPEN", [])
    assert len(statements) == 4, statements


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


BET_SHOWN = """
  id status type system stake { amount currency } totalStake { amount currency }
  potentialReturn { amount currency } payout { amount } eachWay freeBet oddsPolicy placedAt
  settledAt
  legs { legNumber odds requestedOdds result eachWayPlaces eachWayFraction
         outcome { id key name odds status } }
"""
PLACE_BET_SHOWN = f"""mutation($i: PlaceBetInput!) {{ placeBet(input: $i) {{
  bet {{ {BET_SHOWN} }} errors {{ code }} }} }}"""
BET_READ = f"""query($id: ID!) {{ node(id: $id) {{ ... on Bet {{ {BET_SHOWN} }} }} }}"""


async def test_the_bet_a_placement_shows_is_the_bet_it_wrote(
    db: Database, registry: BrandRegistry
) -> None:
    token = await _bettor(db, registry)
    terms = {
        "each_way_places": 3, "each_way_fraction_numerator": 1,
        "each_way_fraction_denominator": 5,
    }  # fmt: skip
    first = await add_market(db, {"home": "2.50", "away": "1.60"}, **terms)
    second = await add_market(db, {"home": "3.25", "away": "1.40"}, **terms)
    await _place(db, registry, token, PLACE_BET, _single(first.outcomes["away"], "k-0", "1.60"))
    # An each-way double, its odds typed with fewer decimals than the book stores.
    slip = {
        "selections": [
            {"outcome": gid("Outcome", first.outcomes["home"]), "odds": "2.5"},
            {"outcome": gid("Outcome", second.outcomes["home"]), "odds": "3.25"},
        ],
        "type": "MULTIPLE",
        "eachWay": True,
        "stake": {"amount": "1.00", "currency": "EUR"},
        "idempotencyKey": "k-double",
    }

    placed, statements = await _place(db, registry, token, PLACE_BET_SHOWN, slip)
    read = await SCHEMA.execute(
        BET_READ,
        variable_values={"id": placed["bet"]["id"]},
        context_value=_context(db, registry, token),
    )

    assert placed["errors"] == []
    assert read.errors is None, read.errors
    assert read.data == {"node": placed["bet"]}
    assert [leg["requestedOdds"] for leg in placed["bet"]["legs"]] == ["2.5000", "3.2500"]
    assert placed["bet"]["legs"][0]["eachWayFraction"] == "1/5"
    assert len(statements) == 4, statements
