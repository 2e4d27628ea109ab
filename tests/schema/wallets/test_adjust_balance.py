"""`adjustBalance`: finance staff credit or debit a wallet with a reason, audited, once per
idempotency key; everyone else and every bad input changes nothing."""

from __future__ import annotations

from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.schema.wallets.support import (
    assert_invariants,
    audit_rows,
    balance_of,
    fund,
    player_global_id,
    player_of,
    signed_in_player,
    signed_in_staff,
)
from tests.support import AURORA, Api

ADJUST = """mutation($i: AdjustBalanceInput!) {
  adjustBalance(input: $i) {
    wallet { kind balance { amount currency } } transactionId replayed
    errors { code field message } } }"""


def _input(player: str, **overrides: Any) -> dict[str, Any]:
    return {
        "playerId": player,
        "wallet": "CASH",
        "direction": "CREDIT",
        "amount": {"amount": "25.00", "currency": "EUR"},
        "reason": "Goodwill after outage #42",
        "idempotencyKey": "adj-1",
        **overrides,
    }


async def _adjust(api: Api, variables: dict[str, Any]) -> dict[str, Any]:
    return dict((await api.query(ADJUST, {"i": variables})).data["adjustBalance"])


async def test_finance_credits_a_wallet_once_per_key_and_it_is_audited(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player = await player_of(db, registry)
    await fund(db, player, 1_000)
    finance = await signed_in_staff(server, AURORA, db, ["finance"])
    audited = await audit_rows(db)

    first = await _adjust(finance, _input(player_global_id(player)))
    replay = await _adjust(finance, _input(player_global_id(player)))
    debit = await _adjust(
        finance,
        _input(
            player_global_id(player),
            direction="DEBIT",
            amount={"amount": "5.50", "currency": "EUR"},
            idempotencyKey="adj-2",
        ),
    )

    assert first["wallet"] == {"kind": "CASH", "balance": {"amount": "35.00", "currency": "EUR"}}
    assert first["replayed"] is False
    assert first["errors"] == []
    assert replay == first | {"replayed": True}
    assert debit["wallet"]["balance"]["amount"] == "29.50"
    assert await balance_of(db, player) == 2_950
    assert await audit_rows(db) == audited + 2
    await assert_invariants(db)
    await finance.aclose()


async def test_the_same_key_for_another_request_is_a_conflict_with_no_effect(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player = await player_of(db, registry)
    finance = await signed_in_staff(server, AURORA, db, ["finance"])
    await _adjust(finance, _input(player_global_id(player)))
    audited = await audit_rows(db)

    conflict = await _adjust(
        finance, _input(player_global_id(player), amount={"amount": "99", "currency": "EUR"})
    )

    assert conflict["wallet"] is None
    assert [(e["code"], e["field"]) for e in conflict["errors"]] == [
        ("IDEMPOTENCY_CONFLICT", "idempotencyKey")
    ]
    assert await balance_of(db, player) == 2_500
    assert await audit_rows(db) == audited
    await finance.aclose()


async def test_only_wallet_adjust_may_adjust_and_denials_change_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player = await player_of(db, registry)
    await fund(db, player, 1_000)
    support = await signed_in_staff(server, AURORA, db, ["support"])
    someone, _ = await signed_in_player(server, AURORA, "ivy@example.com")
    anonymous = Api(server, AURORA)
    audited = await audit_rows(db)

    denied = [
        await _adjust(api, _input(player_global_id(player)))
        for api in (support, someone, anonymous)
    ]

    assert [[e["code"] for e in payload["errors"]] for payload in denied] == [
        ["PERMISSION_DENIED"],
        ["PERMISSION_DENIED"],
        ["NOT_AUTHENTICATED"],
    ]
    assert all(payload["wallet"] is None for payload in denied)
    assert await balance_of(db, player) == 1_000
    assert await audit_rows(db) == audited
    for api in (support, someone, anonymous):
        await api.aclose()


# Each bad input with the error it gets. One staff sign-in serves them all: the sign-in
# (argon2, TOTP enrolment) is what costs time here.
BAD_INPUTS: list[tuple[dict[str, Any], str, str]] = [
    ({"amount": {"amount": "-5.00", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "0", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "1.001", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    # Money enters only as canonical decimal text: a JSON number went through a float and
    # credited 0.10; an exponent overflowed (masked error) or built a huge integer.
    ({"amount": {"amount": 0.10000000000000000001, "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": 5, "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "5.000000000000000001", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "1E+999999999", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "1E+400000", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "1e1", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": " 5", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "1000000000000", "currency": "EUR"}}, "INVALID_AMOUNT", "amount"),
    ({"amount": {"amount": "1.00", "currency": "GBP"}}, "UNSUPPORTED_CURRENCY", "amount"),
    ({"amount": {"amount": "1.00", "currency": "XXX"}}, "UNSUPPORTED_CURRENCY", "amount"),
    ({"reason": "   "}, "REASON_REQUIRED", "reason"),
    ({"reason": "x" * 501}, "REASON_TOO_LONG", "reason"),
    ({"wallet": "WITHDRAWAL_PENDING"}, "WALLET_NOT_ADJUSTABLE", "wallet"),
    ({"idempotencyKey": "has space"}, "INVALID_IDEMPOTENCY_KEY", "idempotencyKey"),
    (
        {"direction": "DEBIT", "amount": {"amount": "10.01", "currency": "EUR"}},
        "INSUFFICIENT_FUNDS",
        "amount",
    ),
]


async def test_bad_input_is_a_typed_error_and_moves_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player = await player_of(db, registry)
    await fund(db, player, 1_000)
    finance = await signed_in_staff(server, AURORA, db, ["finance"])
    audited = await audit_rows(db)

    payloads = [
        # A key of its own per case, so no case is a replay of another.
        await _adjust(
            finance,
            _input(player_global_id(player), **({"idempotencyKey": f"bad-{index}"} | overrides)),
        )
        for index, (overrides, _, _) in enumerate(BAD_INPUTS)
    ]

    assert [[(e["code"], e["field"]) for e in payload["errors"]] for payload in payloads] == [
        [(code, field)] for _, code, field in BAD_INPUTS
    ]
    assert all(payload["wallet"] is None for payload in payloads)
    assert await balance_of(db, player) == 1_000
    assert await audit_rows(db) == audited
    await assert_invariants(db)
    await finance.aclose()


async def test_a_player_of_another_brand_is_not_found(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    elsewhere = await player_of(db, registry, "northstar")
    finance = await signed_in_staff(server, AURORA, db, ["finance"])

    payload = await _adjust(
        finance,
        _input(player_global_id(elsewhere), amount={"amount": "1", "currency": "SEK"}),
    )

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("PLAYER_NOT_FOUND", "playerId")
    ]
    assert await balance_of(db, elsewhere, brand="northstar", currency="SEK") == 0
    await finance.aclose()


async def test_a_numeric_literal_amount_is_a_typed_error_and_moves_nothing(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player = await player_of(db, registry)
    finance = await signed_in_staff(server, AURORA, db, ["finance"])
    audited = await audit_rows(db)

    payloads = []
    for index, literal in enumerate(["0.10000000000000000001", "5", '"1E+400000"']):
        document = f"""mutation {{ adjustBalance(input: {{
            playerId: "{player_global_id(player)}", wallet: CASH, direction: CREDIT,
            amount: {{amount: {literal}, currency: "EUR"}}, reason: "Goodwill",
            idempotencyKey: "literal-{index}"}}) {{ wallet {{ kind }} errors {{ code field }} }} }}"""
        response = await finance.query(document)
        payloads.append(response.data["adjustBalance"])

    assert (
        payloads
        == [{"wallet": None, "errors": [{"code": "INVALID_AMOUNT", "field": "amount"}]}] * 3
    )
    assert await balance_of(db, player) == 0
    assert await audit_rows(db) == audited
    await finance.aclose()
