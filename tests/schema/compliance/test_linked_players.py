"""Risk staff review the person behind a player: its players on the operator's brands,
only those within the staff member's brands."""

from __future__ import annotations

import uuid

from domain.kernel.db import Database
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import Api

LINKED = """query($id: ID!) {
  node(id: $id) { ... on Player { email linkedPlayers { playerId brand status rule } } }
}"""


async def test_staff_see_the_person_s_players_only_on_their_own_brands(
    server: str, db: Database, aurora: Api, northstar: Api
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    on_aurora = (await aurora.register(email=email, dateOfBirth="1979-11-30"))["player"]
    on_northstar = (
        await northstar.register(
            email=email, dateOfBirth="1979-11-30", country="SE", currency="SEK", locale="sv"
        )
    )["player"]
    suffix = uuid.uuid4().hex[:6]
    operator = await signed_in_staff(
        Api(server, aurora.host), db, f"risk-all-{suffix}@op.example", ["admin"]
    )
    aurora_only = await signed_in_staff(
        Api(server, aurora.host), db, f"risk-aurora-{suffix}@op.example", ["admin"], ["aurora"]
    )

    everywhere = (await operator.query(LINKED, {"id": on_aurora["id"]})).data["node"]
    scoped = (await aurora_only.query(LINKED, {"id": on_aurora["id"]})).data["node"]
    as_player = await aurora.query(LINKED, {"id": on_aurora["id"]})

    assert everywhere["linkedPlayers"] == [
        {"playerId": on_aurora["id"], "brand": "aurora", "status": "ACTIVE", "rule": "email_dob"},
        {
            "playerId": on_northstar["id"],
            "brand": "northstar",
            "status": "ACTIVE",
            "rule": "email_dob",
        },
    ]
    assert scoped["linkedPlayers"] == [everywhere["linkedPlayers"][0]]
    assert as_player.body["data"] is None or as_player.body["data"]["node"] is None
    await operator.aclose()
    await aurora_only.aclose()
