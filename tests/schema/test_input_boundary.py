"""What a client sees for the hostile inputs named in issue 12 item 2: typed errors (or
null) instead of unexpected errors, and nothing stored. The schema-wide sweep is
tests/schema/test_fuzz.py; these pin the answers."""

from __future__ import annotations

from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.schema.wallets.support import audit_rows, signed_in_player, signed_in_staff
from tests.support import AURORA

BEYOND_BIGINT = "99999999999999999999"


def _codes(body: dict) -> list[tuple[str, str | None]]:
    return [
        (error["extensions"]["code"], error["extensions"].get("field"))
        for error in body.get("errors", [])
    ]


async def test_ids_beyond_a_bigint_are_not_found(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await signed_in_staff(server, AURORA, db, ["admin"])
    player, _ = await signed_in_player(server, AURORA, "ids@example.com")
    audited = await audit_rows(db, "sportsbook.bet.void")

    node = await staff.query(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_base64("Sport", BEYOND_BIGINT)}
    )
    void = await staff.query(
        "mutation($i: VoidBetInput!) { voidBet(input: $i) { bet { id } errors { code field } } }",
        {"i": {"bet": to_base64("Bet", BEYOND_BIGINT), "reason": "Void a bet"}},
    )
    liabilities = await staff.query(
        "query($m: ID!) { outcomeLiabilities(market: $m) { outcome { id } } }",
        {"m": to_base64("Market", BEYOND_BIGINT)},
    )
    cash_out = await player.query(
        """mutation($i: CashOutInput!) { cashOut(input: $i) { errors { code field } } }""",
        {
            "i": {
                "bet": to_base64("Bet", "²"),
                "expectedValue": {"amount": "1.00", "currency": "EUR"},
                "idempotencyKey": "cash-out-1",
            }
        },
    )

    assert node.data == {"node": None} and "errors" not in node.body
    assert void.data["voidBet"] == {
        "bet": None,
        "errors": [{"code": "BET_NOT_FOUND", "field": "bet"}],
    }
    assert liabilities.data == {"outcomeLiabilities": []} and "errors" not in liabilities.body
    assert cash_out.data["cashOut"]["errors"] == [{"code": "BET_NOT_FOUND", "field": "bet"}]
    assert await audit_rows(db, "sportsbook.bet.void") == audited
    await staff.aclose()
    await player.aclose()


async def test_text_with_a_nul_byte_is_refused_as_invalid_naming_the_field(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await signed_in_staff(server, AURORA, db, ["admin"])
    player, _ = await signed_in_player(server, AURORA, "nul@example.com")
    audited = await audit_rows(db, "staff.create")

    created = await staff.query(
        """mutation($i: CreateStaffMemberInput!) {
          createStaffMember(input: $i) { staffMember { id } errors { code field message } } }""",
        {"i": {"email": "ops\x00@op.example", "roles": ["SUPPORT"]}},
    )
    lobby = await player.query(
        "query($q: String) { casinoGames(first: 5, search: $q) { edges { cursor } } }",
        {"q": "star\x00"},
    )
    history = await player.query(
        """query($k: [String!]) { viewer { player {
          transactions(first: 5, kinds: $k) { edges { cursor } } } } }""",
        {"k": ["deposit\x00"]},
    )
    spoofed = await staff.query(
        """mutation($i: SetCasinoProviderEnabledInput!) {
          setCasinoProviderEnabled(input: $i) { errors { code field } } }""",
        {"i": {"provider": "x", "enabled": False, "reason": "\u202eevil"}},
    )

    assert created.data["createStaffMember"] == {
        "staffMember": None,
        "errors": [
            {
                "code": "INVALID",
                "field": "email",
                "message": "Control characters and direction overrides are not allowed.",
            }
        ],
    }
    assert _codes(lobby.body) == [("INVALID", "search")]
    assert _codes(history.body) == [("INVALID", "kinds")]
    assert spoofed.data["setCasinoProviderEnabled"]["errors"] == [
        {"code": "INVALID", "field": "reason"}
    ]
    assert await audit_rows(db, "staff.create") == audited
    await staff.aclose()
    await player.aclose()


async def test_a_date_out_of_range_is_refused_before_it_reaches_sql(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    staff = await signed_in_staff(server, AURORA, db, ["admin"])

    response = await staff.query(
        """query($from: DateTime!, $to: DateTime!) {
          casinoReconciliation(from: $from, to: $to, first: 5) { __typename } }""",
        {"from": "0001-01-01T00:00:00+14:00", "to": "2026-01-01T00:00:00Z"},
    )

    assert response.status < 500
    assert (
        "DateTime is ISO 8601 text from 1900 to 9998 (UTC)" in response.body["errors"][0]["message"]
    )
    await staff.aclose()
