"""A bonus code at deposit: the offer is claimed on that deposit when it is credited; an
unknown code is refused before any money moves; a deposit that does not qualify is still
credited, without a bonus."""

from __future__ import annotations

import uuid

from domain.kernel.db import Database
from tests.schema.wallets.support import signed_in_player
from tests.support import AURORA
from tests.web.bonuses.support import DEPOSIT, MY_BONUSES, create_offer, crm, welcome_terms
from tests.web.providers.conftest import execute, wallets


def _deposit(amount: str, key: str, code: str | None) -> dict[str, object]:
    return {
        "i": {"amount": {"amount": amount, "currency": "EUR"}, "idempotencyKey": key,
              "flow": "DIRECT", "bonusCode": code}
    }  # fmt: skip


async def test_a_code_at_deposit_grants_the_bonus_on_that_deposit(
    server: str, db: Database
) -> None:
    staff = await crm(server, db)
    await create_offer(staff, terms={**welcome_terms(), "minimumDeposit": "20.00"})
    player, player_id = await signed_in_player(server, AURORA, f"{uuid.uuid4().hex[:8]}@x.example")

    unknown = (await player.query(DEPOSIT, _deposit("50.00", "d-0", "NOPE"))).data["deposit"]
    small = (await player.query(DEPOSIT, _deposit("10.00", "d-1", "welcome"))).data["deposit"]
    paid = (await player.query(DEPOSIT, _deposit("50.00", "d-2", "welcome"))).data["deposit"]

    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [
        ("OFFER_NOT_FOUND", "bonusCode")
    ]
    assert (small["payment"]["status"], paid["payment"]["status"]) == ("SUCCEEDED", "SUCCEEDED")
    (grant,) = (await player.query(MY_BONUSES)).data["myBonuses"]
    assert (grant["state"], grant["bonus"], grant["required"]) == (
        "ACTIVE", {"amountMinorUnits": "5000"}, {"amountMinorUnits": "175000"},
    )  # fmt: skip
    assert await wallets(db, player_id) == {"cash": 6000, "bonus": 5000}
    assert await execute(db, "SELECT count(*) FROM payments") == [(2,)]
    await staff.aclose()
    await player.aclose()
