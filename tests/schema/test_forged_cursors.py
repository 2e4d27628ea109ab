"""Every keyset-paginated list refuses a cursor it did not issue with a typed error.

The lists are taken from the committed schema (every field with an `after` argument), so a
list added later fails here until it has a case. Each is asked, by an admin of the brand,
for a page after cursors a client could forge: garbage, base64 of garbage, base64 of the
right shape with a wrong value, another list's cursor, an overlong one. Each answer is the
typed error `INVALID_CURSOR` on the field, never an unexpected (masked) error.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Final

from graphql import GraphQLObjectType, build_schema
from sqlalchemy import text
from strawberry.relay import to_base64

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.paging import CURSOR_LENGTH_MAX, encode_cursor
from tests.domain.payments.support import deposited
from tests.domain.sportsbook.support import add_market
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import Api, create_player

SCHEMA: Final = Path(__file__).resolve().parents[2] / "schema.graphql"
_FROM: Final = '"2026-01-01T00:00:00+00:00"'
_TO: Final = '"2026-02-01T00:00:00+00:00"'

# Each list's document, `$after` the only variable; `{player}` / `{competition}` are ids.
LISTS: Final = {
    "Query.pendingWithdrawals": "pendingWithdrawals(first: 5, after: $after) { edges { cursor } }",
    "Query.deposits": "deposits(first: 5, after: $after) { edges { cursor } }",
    "Query.casinoGames": "casinoGames(first: 5, after: $after) { edges { cursor } }",
    "Query.casinoReconciliation": (
        f"casinoReconciliation(from: {_FROM}, to: {_TO}, first: 5, after: $after)"
        " { rounds { edges { cursor } } }"
    ),
    "Query.bigWins": f"bigWins(from: {_FROM}, to: {_TO}, first: 5, after: $after) {{ edges {{ cursor }} }}",
    "Query.sportsbookEvents": "sportsbookEvents(first: 5, after: $after) { edges { cursor } }",
    "Query.report": (
        'report(from: "2026-01-01", to: "2026-01-31", dimensions: [DAY], first: 5,'
        " after: $after) { endCursor }"
    ),
    "Query.auditLog": "auditLog(first: 5, after: $after) { endCursor }",
    "Query.themeTranslations": (
        'themeTranslations(locale: "en", first: 5, after: $after) { edges { cursor } }'
    ),
    "Player.transactions": (
        'node(id: "{player}") { ... on Player { transactions(first: 5, after: $after)'
        " { edges { cursor } } } }"
    ),
    "Player.gameRounds": (
        'node(id: "{player}") { ... on Player { gameRounds(first: 5, after: $after)'
        " { edges { cursor } } } }"
    ),
    "Player.bets": (
        'node(id: "{player}") { ... on Player { bets(first: 5, after: $after)'
        " { edges { cursor } } } }"
    ),
    "Competition.events": (
        'node(id: "{competition}") { ... on Competition { events(first: 5, after: $after)'
        " { edges { cursor } } } }"
    ),
}


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


FORGED: Final = [
    "not a cursor!",
    "%%%",
    _b64("garbage"),
    _b64("[]"),
    _b64('["x", 1, {"a": 2}]'),
    _b64("[1, 2, 3, 4, 5, 6]"),
    _b64("\x00\xff"),
    base64.b64encode(b"\xff\xfe\xfd").decode(),
    encode_cursor("zz", 1),
    encode_cursor("b1", 2**70),
    encode_cursor("r1", "2026-01-01", "x"),
    "A" * 5_000,
    "=",
]


def paginated_lists() -> set[str]:
    schema = build_schema(SCHEMA.read_text())
    found = set()
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        found |= {f"{type_name}.{name}" for name, f in named.fields.items() if "after" in f.args}
    return found


def test_every_keyset_list_of_the_schema_has_a_forged_cursor_case() -> None:
    assert paginated_lists() == set(LISTS)


async def test_a_forged_cursor_is_a_typed_error_on_every_list(
    aurora: Api, db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 10_00)
    market = await add_market(db, {"home": "2.0", "away": "2.0"})
    competition_id = await _competition_of(db, market.event_id)
    admin = await signed_in_staff(aurora, db, "cursor-admin@op.example", ["admin"])
    ids = {
        "player": to_base64("Player", str(player_id)),
        "competition": to_base64("Competition", str(competition_id)),
    }
    answers, expected = {}, {}
    for forged in FORGED:
        for name, selection in LISTS.items():
            document = (
                "query ($after: String) { "
                + selection.replace("{player}", ids["player"]).replace(
                    "{competition}", ids["competition"]
                )
                + " }"
            )
            result = await admin.query(document, {"after": forged})
            errors = result.body.get("errors") or []
            codes = [e.get("extensions", {}).get("code") for e in errors]
            answers[(name, forged[:40])] = (result.status, codes)
            # An overlong text is refused where strings enter, before any list reads it.
            expected[(name, forged[:40])] = (
                200,
                ["INVALID" if len(forged) > CURSOR_LENGTH_MAX else "INVALID_CURSOR"],
            )

    wrong = {k: v for k, v in answers.items() if v != expected[k]}
    assert sorted(wrong.items()) == [], "\n".join(map(str, sorted(wrong.items())))


async def _competition_of(db: Database, event_id: int) -> int:
    async with db.uow() as uow:
        return int(
            (
                await uow.session.execute(
                    text("SELECT competition_id FROM sportsbook_events WHERE id = :e"),
                    {"e": event_id},
                )
            ).scalar_one()
        )
