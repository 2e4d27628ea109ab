"""Offers over GraphQL: CRM staff make and edit them (versioned, audited, brand-scoped);
other roles are refused and change nothing; a grant keeps the terms it was granted with."""

from __future__ import annotations

from typing import Any

from strawberry.relay import from_base64

from domain.kernel.db import Database
from tests.schema.wallets.support import signed_in_staff
from tests.support import AURORA, NORTHSTAR
from tests.web.bonuses.support import (
    CLAIM,
    CREATE,
    MY_BONUSES,
    UPDATE,
    create_offer,
    crm,
    depositing_player,
    welcome_terms,
)
from tests.web.providers.conftest import execute

OFFERS = "{ bonusOffers { id version code active terms { wageringMultiplier } } }"
AVAILABLE = "{ availableBonusOffers { id code } }"


def _update(offer_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": offer_id,
        "kind": "DEPOSIT_MATCH",
        "name": "Welcome 100 %",
        "code": "WELCOME",
        "currency": "EUR",
        "terms": welcome_terms(),
        **overrides,
    }


async def test_crm_makes_and_edits_an_offer_as_versions_with_audit_rows(
    server: str, db: Database
) -> None:
    staff = await crm(server, db)
    offer = await create_offer(staff, code="welcome")
    assert (offer["version"], offer["code"]) == (1, "WELCOME")

    edited = (await staff.query(UPDATE, {"i": _update(offer["id"], terms=welcome_terms(30))})).data[
        "updateBonusOffer"
    ]

    assert edited["errors"] == []
    assert edited["offer"]["version"] == 2
    listed = (await staff.query(OFFERS)).data["bonusOffers"]
    assert [(o["version"], o["terms"]["wageringMultiplier"]) for o in listed] == [(2, 30)]
    assert await execute(
        db,
        "SELECT version, (terms ->> 'wagering_multiplier')::int FROM bonus_offer_versions "
        "ORDER BY version",
    ) == [(1, 35), (2, 30)]
    # The audit log is kept between tests: this offer's rows only.
    assert await execute(
        db,
        "SELECT action FROM audit_log WHERE subject_type = 'bonus_offer' AND subject_id = :s "
        "ORDER BY id",
        s=from_base64(offer["id"])[1],
    ) == [("bonus.offer.create",), ("bonus.offer.update",)]
    await staff.aclose()


async def test_editing_an_offer_changes_no_grant_already_made(server: str, db: Database) -> None:
    staff = await crm(server, db)
    offer = await create_offer(staff)
    player, _ = await depositing_player(server)
    granted = (await player.query(CLAIM, {"i": {"offerId": offer["id"]}})).data["claimBonus"]
    assert granted["errors"] == []

    terms = {**welcome_terms(10), "maxBet": "2.00", "maxConversionMultiplier": 1}
    edited = await staff.query(UPDATE, {"i": _update(offer["id"], terms=terms)})
    assert edited.data["updateBonusOffer"]["errors"] == []

    (grant,) = (await player.query(MY_BONUSES)).data["myBonuses"]
    assert grant["offerVersion"] == 1
    assert grant["terms"] == {
        "wageringMultiplier": 35, "maxConversionMultiplier": 5, "maxBet": {"amount": "5.00"},
    }  # fmt: skip
    assert (grant["required"]["amountMinorUnits"], grant["maxBet"]) == (
        "350000",
        {"amount": "5.00"},
    )
    await staff.aclose()
    await player.aclose()


async def test_a_second_claim_grants_nothing_and_moves_no_money(server: str, db: Database) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    player, _ = await depositing_player(server)

    first = (await player.query(CLAIM, {"i": {"code": "WELCOME"}})).data["claimBonus"]
    second = (await player.query(CLAIM, {"i": {"code": "WELCOME"}})).data["claimBonus"]
    unknown = (await player.query(CLAIM, {"i": {"code": "NOPE"}})).data["claimBonus"]

    assert first["errors"] == []
    assert [e["code"] for e in second["errors"]] == ["ALREADY_CLAIMED"]
    assert [e["code"] for e in unknown["errors"]] == ["OFFER_NOT_FOUND"]
    assert await execute(
        db, "SELECT count(*) FROM ledger_transactions WHERE kind = 'bonus.grant'"
    ) == [(1,)]
    await staff.aclose()
    await player.aclose()


async def test_a_deposit_below_the_minimum_does_not_qualify(server: str, db: Database) -> None:
    staff = await crm(server, db)
    await create_offer(staff, terms={**welcome_terms(), "minimumDeposit": "20.00"})
    player, _ = await depositing_player(server, "19.99")

    refused = (await player.query(CLAIM, {"i": {"code": "WELCOME"}})).data["claimBonus"]

    assert [e["code"] for e in refused["errors"]] == ["NO_QUALIFYING_DEPOSIT"]
    assert await execute(db, "SELECT count(*) FROM bonus_grants") == [(0,)]
    await staff.aclose()
    await player.aclose()


async def test_staff_without_bonus_manage_are_refused_and_nothing_changes(
    server: str, db: Database
) -> None:
    support = await signed_in_staff(server, AURORA, db, ["support"])
    values = {
        "kind": "DEPOSIT_MATCH",
        "name": "Sneaky",
        "currency": "EUR",
        "terms": welcome_terms(),
    }

    refused = (await support.query(CREATE, {"i": values})).data["createBonusOffer"]
    listed = await support.query(OFFERS)

    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    assert listed.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert await execute(db, "SELECT count(*) FROM bonus_offers") == [(0,)]
    await support.aclose()


async def test_offers_are_per_brand_and_terms_are_checked(server: str, db: Database) -> None:
    staff = await crm(server, db)
    await create_offer(staff)
    northstar_crm = await signed_in_staff(server, NORTHSTAR, db, ["crm"])

    on_northstar = (await northstar_crm.query(OFFERS)).data["bonusOffers"]
    bad = (
        await staff.query(
            CREATE,
            {"i": {"kind": "DEPOSIT_MATCH", "name": "Bad", "currency": "EUR",
                   "terms": {**welcome_terms(), "matchPercent": 0, "maxBet": "1e3"}}},
        )
    ).data["createBonusOffer"]  # fmt: skip
    taken = (
        await staff.query(
            CREATE,
            {"i": {"kind": "DEPOSIT_MATCH", "name": "Again", "code": "welcome", "currency": "EUR",
                   "terms": welcome_terms()}},
        )
    ).data["createBonusOffer"]  # fmt: skip

    assert on_northstar == []
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_AMOUNT", "terms.maxBet")]
    assert [(e["code"], e["field"]) for e in taken["errors"]] == [("CODE_TAKEN", "code")]
    await staff.aclose()
    await northstar_crm.aclose()


async def test_a_player_sees_open_offers_and_a_withdrawn_one_disappears(
    server: str, db: Database
) -> None:
    staff = await crm(server, db)
    offer = await create_offer(staff)
    player, _ = await depositing_player(server)
    assert (await player.query(AVAILABLE)).data["availableBonusOffers"] == [
        {"id": offer["id"], "code": "WELCOME"}
    ]

    await staff.query(UPDATE, {"i": _update(offer["id"], active=False)})

    assert (await player.query(AVAILABLE)).data["availableBonusOffers"] == []
    refused = (await player.query(CLAIM, {"i": {"offerId": offer["id"]}})).data["claimBonus"]
    assert [e["code"] for e in refused["errors"]] == ["NOT_ELIGIBLE"]
    await staff.aclose()
    await player.aclose()
