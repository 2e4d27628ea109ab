"""Abuse flags for risk staff: a claim of an offer that another holder's account shares a
sign-in address with; bonus money wagered on both sides of a market or at very low odds;
a stake refused over the max bet. Each is stored once, listed newest first to risk staff of
the brand only, and changes no money."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest

from domain.accounts import sessions
from domain.accounts.models import PrincipalKind, SessionState, SessionTransport
from domain.bonuses import abuse, free_bets, grants
from domain.bonuses.lifecycle import Actor
from domain.bonuses.models import AbuseFlagKind, BonusOffer, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.terms import Contributions, Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.errors import PermissionDenied
from domain.sportsbook.errors import BonusMaxBetExceeded
from domain.sportsbook.models import BetType
from domain.sportsbook.placement import BetSlip, Selection
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import (
    BRAND,
    add_market,
    assert_ledger_ok,
    funded_player,
    place,
    wallets,
)
from tests.schema.wallets.support import staff_principal


async def _signed_in(db: Database, player_id: uuid.UUID, address: str) -> None:
    async with db.transaction() as uow:
        await sessions.issue(
            uow, kind=PrincipalKind.PLAYER, principal_id=player_id, brand=BRAND,
            transport=SessionTransport.COOKIE, state=SessionState.ACTIVE,
            ip_address=address, user_agent="test",
        )  # fmt: skip


async def _offer(
    db: Database, registry: BrandRegistry, kind: OfferKind, terms: Terms
) -> BonusOffer:
    draft = OfferDraft(kind, f"Offer {uuid.uuid4().hex[:6]}", None, "EUR", terms, Eligibility())
    async with db.transaction() as uow:
        return await create_demo_offer(uow, registry.get(BRAND), draft)


async def _flags(db: Database, **filters: object) -> list[tuple[str, uuid.UUID, dict[str, object]]]:
    async with db.uow() as uow:
        found = await abuse.flags_for_staff(uow, staff_principal("risk"), BRAND, **filters)  # type: ignore[arg-type]
    return [(row.kind, row.player_id, row.details) for row in found]


async def test_accounts_sharing_an_address_claiming_one_offer_are_flagged_once(
    db: Database, registry: BrandRegistry
) -> None:
    first, second, elsewhere = [await funded_player(db, registry, 1_00) for _ in range(3)]
    for player_id, address in ((first, "203.0.113.7"), (second, "203.0.113.7"),
                               (elsewhere, "198.51.100.1")):  # fmt: skip
        await _signed_in(db, player_id, address)
    free_bet = await _offer(db, registry, OfferKind.FREE_BET, Terms(free_bet_minor=5_00))
    sign_up = await _offer(db, registry, OfferKind.SIGN_UP, Terms(bonus_minor=2_00))

    for player_id in (first, elsewhere, second):
        async with db.transaction() as uow:
            await free_bets.grant_free_bet(
                uow, BRAND, free_bet, player_id, actor=Actor("player", player_id)
            )
    # Another offer, claimed by one of them only: nothing to see.
    async with db.transaction() as uow:
        await grants._grant(
            uow, BRAND, sign_up, first, bonus_minor=2_00, deposit=None,
            actor=Actor("player", first), reason=None, at=sign_up.created_at,
        )  # fmt: skip

    found = await _flags(db)
    assert [(kind, player) for kind, player, _ in found] == [("shared_address", second)]
    details = found[0][2]
    assert details["addresses"] == ["203.0.113.7"]
    assert details["accounts"] == 2
    async with db.uow() as uow:
        (row,) = await abuse.flags_for_staff(uow, staff_principal("risk"), BRAND)
    assert row.related_player_ids == [first]
    assert row.offer_id == free_bet.id
    # The claims themselves went through: a flag is a lead, not a refusal.
    assert (await wallets(db, second))[WalletKind.SPORTSBOOK_FREE_BET] == 5_00


def _slip(outcome_id: int, odds: str, stake_minor: int) -> BetSlip:
    return BetSlip(
        selections=(Selection(outcome_id, Decimal(odds)),),
        stake_minor=stake_minor,
        bet_type=BetType.SINGLE,
        idempotency_key=uuid.uuid4().hex,
    )


async def test_low_risk_wagering_of_bonus_money_is_flagged_and_an_over_max_stake_recorded(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await funded_player(db, registry, 100_00)
    terms = Terms(
        bonus_minor=50_00, wagering_multiplier=10, max_bet_minor=20_00,
        contributions=Contributions(product={"sportsbook": 100}),
    )  # fmt: skip
    offer = await _offer(db, registry, OfferKind.SIGN_UP, terms)
    async with db.transaction() as uow:
        await grants.grant_by_staff(
            uow, staff_principal("crm"), BRAND, offer, player_id, bonus_minor=None,
            reason="test",
        )  # fmt: skip
    market = await add_market(db, {"home": "1.20", "away": "4.50"})
    fair = await add_market(db, {"home": "2.00", "away": "2.00"})

    low = await place(db, registry, player_id, _slip(market.outcomes["home"], "1.20", 10_00))
    both = await place(db, registry, player_id, _slip(market.outcomes["away"], "4.50", 5_00))
    await place(db, registry, player_id, _slip(fair.outcomes["home"], "2.00", 5_00))
    with pytest.raises(BonusMaxBetExceeded):
        await place(db, registry, player_id, _slip(fair.outcomes["away"], "2.00", 25_00))
    # What the placeBet resolver does on that refusal: the day's first is flagged, once.
    recorded = [
        await abuse.record_max_bet_refused(
            db, BRAND, player_id, product="sportsbook", stake_minor=25_00
        )
        for _ in range(2)
    ]
    assert recorded == [True, False]

    found = await _flags(db, player_id=player_id)
    assert sorted((kind, json.dumps(details, sort_keys=True)) for kind, _, details in found) == [
        ("low_odds", json.dumps({"bet": low.bet_id, "minimum": "1.30", "odds": "1.20"})),
        ("max_bet_refused", json.dumps({"product": "sportsbook", "stake_minor": 25_00})),
        ("opposite_bets", json.dumps({"bet": both.bet_id, "opposite_bets": [low.bet_id]})),
    ]
    assert [kind for kind, _, _ in await _flags(db, kind=AbuseFlagKind.LOW_ODDS)] == ["low_odds"]
    await assert_ledger_ok(db)


async def test_only_risk_staff_of_the_brand_see_the_flags(db: Database) -> None:
    risk = staff_principal("risk")
    async with db.uow() as uow:
        with pytest.raises(PermissionDenied):
            await abuse.flags_for_staff(uow, staff_principal("crm"), BRAND)
        with pytest.raises(PermissionDenied):
            await abuse.flags_for_staff(uow, replace(risk, staff_brands=("northstar",)), BRAND)
