"""An offer's opt-in rule holds on every path: a player claims only opt-in offers (by
offer, by code, free spins or a free bet); an automatic offer is granted by the system on
its qualifying event, never claimed; nothing moves on a refusal."""

from __future__ import annotations

import uuid

import pytest

from domain.accounts import players
from domain.bonuses import grants
from domain.bonuses.errors import NotEligible
from domain.bonuses.lifecycle import Actor
from domain.bonuses.models import BonusOffer, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import BRAND, wallets
from tests.support import create_player


async def _offer(
    db: Database, registry: BrandRegistry, kind: OfferKind, terms: Terms, *, opt_in: bool
) -> BonusOffer:
    draft = OfferDraft(
        kind, f"Offer {uuid.uuid4().hex[:6]}", None, "EUR", terms, Eligibility(opt_in=opt_in)
    )
    async with db.transaction() as uow:
        return await create_demo_offer(uow, registry.get(BRAND), draft)


async def _facts(db: Database, player_id: uuid.UUID) -> grants.PlayerFacts:
    async with db.uow() as uow:
        found = await players.get(uow, BRAND, player_id)
    return grants.PlayerFacts(found.id, found.country, found.currency, found.created_at)


async def test_a_player_cannot_claim_an_automatic_offer(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    facts = await _facts(db, player_id)
    automatic = await _offer(
        db, registry, OfferKind.SIGN_UP, Terms(bonus_minor=5_00, wagering_multiplier=1),
        opt_in=False,
    )  # fmt: skip
    spins = await _offer(
        db, registry, OfferKind.FREE_SPINS,
        Terms(free_spins=5, free_spin_stake_minor=20, free_spins_provider="demo",
              free_spin_games=("demo-slot",)),
        opt_in=False,
    )  # fmt: skip

    with pytest.raises(NotEligible) as refused:
        async with db.transaction() as uow:
            await grants.claim(uow, BRAND, automatic, facts, None, actor=Actor("player", player_id))
    assert refused.value.field == "offerId"
    # The free-spins and free-bet claims check eligibility the same way before granting.
    with pytest.raises(NotEligible):
        grants.check_eligible(spins, facts, None, clock.now())
    assert await wallets(db, player_id) == {}

    async with db.transaction() as uow:
        granted = await grants.claim(uow, BRAND, automatic, facts, None, actor=Actor.system())
    assert granted.bonus_minor == 5_00
    assert await wallets(db, player_id) == {WalletKind.BONUS: 5_00}


async def test_the_system_does_not_grant_an_opt_in_offer_unasked(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    facts = await _facts(db, player_id)
    opt_in = await _offer(
        db, registry, OfferKind.SIGN_UP, Terms(bonus_minor=5_00, wagering_multiplier=1),
        opt_in=True,
    )  # fmt: skip

    with pytest.raises(NotEligible):
        async with db.transaction() as uow:
            await grants.claim(uow, BRAND, opt_in, facts, None, actor=Actor.system())
    async with db.transaction() as uow:
        await grants.claim(uow, BRAND, opt_in, facts, None, actor=Actor("player", player_id))
    assert await wallets(db, player_id) == {WalletKind.BONUS: 5_00}
