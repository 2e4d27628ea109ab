"""placeBet's round trips, counted in process: one slip built once from the input, the
player's currency read once (by the placement's own context read), the session read by
that same first statement of the placement's own transaction (one connection, one
BEGIN/COMMIT per request), and the new bet shown as the placement wrote it, not read back
(a replay reads it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text

from domain.accounts import sessions
from domain.accounts.models import PrincipalKind, SessionState, SessionTransport
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.wallets.models import WalletKind
from schema import build_schema
from tests.domain.sportsbook.support import wallets
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


async def test_placing_a_bet_and_showing_it_with_its_legs_takes_three_statements_in_one_transaction(
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
    # In one transaction: the session with the player's context (currency, wallets, the
    # key's bet); the selections; the placement call: what the domain placement alone
    # sends. (Before: 8, with a read of the player's currency and three reads of the bet
    # in a second transaction; then 5, the session alone on a connection of its own and
    # the bet read back.)
    assert len(statements) == 3, statements
    assert len(connections) == 1, connections
    # A replay reads the bet it returns (the key's bet, its legs' odds, then the bet with
    # its legs and outcomes for the payload) in place of the selections and the call.
    assert len(replay_statements) == 4, replay_statements


async def test_a_payload_without_legs_costs_no_more(db: Database, registry: BrandRegistry) -> None:
    token = await _bettor(db, registry)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    await _place(db, registry, token, PLACE_BET, _single(market.outcomes["away"], "k-0", "1.60"))

    placed, statements = await _place(
        db, registry, token, PLACE_BET_WITHOUT_LEGS, _single(market.outcomes["home"], "k-1")
    )

    assert (placed["bet"]["status"], placed["errors"]) == ("OPEN", [])
    assert len(statements) == 3, statements


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
    assert len(statements) == 3, statements


async def _session(
    db: Database,
    player_id: uuid.UUID,
    *,
    brand: str = BRAND,
    state: SessionState = SessionState.ACTIVE,
    change: str | None = None,
) -> str:
    """A new bearer session of the player, its row then changed by `change` (SQL SET)."""
    async with db.transaction() as uow:
        issued = await sessions.issue(
            uow, kind=PrincipalKind.PLAYER, principal_id=player_id, brand=brand,
            transport=SessionTransport.BEARER, state=state, ip_address=None, user_agent=None,
        )  # fmt: skip
        if change is not None:
            await uow.session.execute(
                text(f"UPDATE auth_sessions SET {change} WHERE id = :id"),  # noqa: S608
                {"id": issued.session.id},
            )
    return issued.token


async def test_a_session_that_may_not_bet_is_refused_as_on_any_request_and_stakes_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    """The session is judged in the placement's first statement: every session that may
    not bet gets the refusal every other request gets, and nothing is staked."""
    player_id = await create_player(db, registry, email="bettor@example.com")
    await fund(db, player_id, 100_00)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    excluded = await create_player(db, registry, email="excluded@example.com")
    suspended = await create_player(db, registry, email="suspended@example.com")
    async with db.transaction() as uow:
        await uow.session.execute(
            text("UPDATE players SET status = CASE id WHEN :e THEN 'self_excluded' "
                 "ELSE 'suspended' END WHERE id IN (:e, :s)"),
            {"e": excluded, "s": suspended},
        )  # fmt: skip
    tokens = {
        "revoked": await _session(db, player_id, change="revoked_at = now()"),
        "expired": await _session(db, player_id, change="expires_at = now() - interval '1 s'"),
        "idle": await _session(db, player_id, change="last_seen_at = now() - interval '30 d'"),
        "second factor owed": await _session(db, player_id, state=SessionState.PENDING_TWO_FACTOR),
        "self-excluded": await _session(db, excluded),
        "suspended": await _session(db, suspended),
        "another brand's": await _session(db, player_id, brand="kumo"),
        "unknown": "not-a-token",
    }

    refused = {
        name: await _place(db, registry, bearer, PLACE_BET, _single(market.outcomes["home"], name))
        for name, bearer in tokens.items()
    }

    assert {name: placed["errors"][0]["code"] for name, (placed, _) in refused.items()} == {
        "revoked": "NOT_AUTHENTICATED",
        "expired": "NOT_AUTHENTICATED",
        "idle": "NOT_AUTHENTICATED",
        "second factor owed": "TWO_FACTOR_REQUIRED",
        "self-excluded": "WITHDRAW_ONLY",
        "suspended": "NOT_AUTHENTICATED",
        "another brand's": "NOT_AUTHENTICATED",
        "unknown": "NOT_AUTHENTICATED",
    }
    assert all(placed["bet"] is None for placed, _ in refused.values())
    async with db.uow() as uow:
        bets = await uow.session.scalar(text("SELECT count(*) FROM sportsbook_bets"))
    assert bets == 0
    assert await wallets(db, player_id) == {WalletKind.CASH: 100_00}
