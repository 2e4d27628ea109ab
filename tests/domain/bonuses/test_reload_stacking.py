"""Reload offers and stacking. A reload is a deposit match for players who deposited
before, repeatable once per period: an automatic one is granted by the deposit itself
(the first deposit earns none, the next one a match, a third in the same week nothing, a
deposit the next week a match again). An offer that does not stack is refused while the
player holds an active bonus, and claimed once that bonus is gone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from domain.accounts import players
from domain.bonuses import grants
from domain.bonuses.errors import InvalidTerms, NotEligible
from domain.bonuses.lifecycle import Actor
from domain.bonuses.models import BonusOffer, GrantState, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.terms import Eligibility, ReloadPeriod, Terms
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.wallets.models import WalletKind
from tests.domain.payments.support import BRAND, assert_invariants, deposited
from tests.domain.sportsbook.support import wallets
from tests.support import create_player

RELOAD = Terms(match_percent=50, bonus_cap_minor=20_00, min_deposit_minor=10_00,
               wagering_multiplier=5)  # fmt: skip


async def _offer(
    db: Database, registry: BrandRegistry, kind: OfferKind, terms: Terms, rules: Eligibility
) -> BonusOffer:
    draft = OfferDraft(kind, f"Offer {uuid.uuid4().hex[:6]}", None, "EUR", terms, rules)
    async with db.transaction() as uow:
        return await create_demo_offer(uow, registry.get(BRAND), draft)


async def _facts(db: Database, player_id: uuid.UUID) -> grants.PlayerFacts:
    async with db.uow() as uow:
        found = await players.get(uow, BRAND, player_id)
    return grants.PlayerFacts(found.id, found.country, found.currency, found.created_at)


async def _grants(db: Database, player_id: uuid.UUID) -> list[tuple[str, int]]:
    async with db.uow() as uow:
        found = await grants.grants_of_player(uow, BRAND, player_id)
    return sorted((grant.state, grant.bonus_minor) for grant in found)


async def test_an_automatic_reload_is_granted_by_a_later_deposit_once_per_week(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = Eligibility(opt_in=False, once_per_player=False, reload_period=ReloadPeriod.WEEK)
    offer = await _offer(db, registry, OfferKind.RELOAD, RELOAD, rules)
    player_id = await create_player(db, registry)

    await deposited(db, player_id, 20_00)
    assert await _grants(db, player_id) == []  # a first deposit is no reload
    await deposited(db, player_id, 30_00)
    assert await _grants(db, player_id) == [("active", 15_00)]
    await deposited(db, player_id, 50_00)
    assert await _grants(db, player_id) == [("active", 15_00)]  # this week's is taken
    assert await wallets(db, player_id) == {WalletKind.CASH: 100_00, WalletKind.BONUS: 15_00}

    # Next week's deposit (as payments reports it) qualifies again, capped at 20.00.
    later = clock.now() + timedelta(days=7)
    monkeypatch.setattr(clock, "now", lambda: later)
    deposit = grants.DepositFact(uuid.uuid4(), 60_00, "EUR", later, earlier_deposits=3)
    async with db.transaction() as uow:
        automatic = await grants.automatic_deposit_offers(uow, BRAND, "EUR")
        assert [found.id for found in automatic] == [offer.id]
        await grants.claim_automatic(uow, BRAND, automatic, await _facts(db, player_id), deposit)
    assert await _grants(db, player_id) == [("active", 15_00), ("active", 20_00)]
    await assert_invariants(db)


async def test_a_reload_needs_a_match_and_an_opt_in_one_is_not_granted_unasked(
    db: Database, registry: BrandRegistry
) -> None:
    with pytest.raises(InvalidTerms) as refused:
        await _offer(db, registry, OfferKind.RELOAD, Terms(wagering_multiplier=5), Eligibility())
    assert refused.value.field == "terms.matchPercent"
    await _offer(db, registry, OfferKind.RELOAD, RELOAD, Eligibility(opt_in=True))
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 20_00)
    await deposited(db, player_id, 20_00)
    assert await _grants(db, player_id) == []


async def test_an_offer_that_does_not_stack_waits_for_the_active_bonus_to_end(
    db: Database, registry: BrandRegistry
) -> None:
    stacking = await _offer(
        db, registry, OfferKind.SIGN_UP, Terms(bonus_minor=5_00, wagering_multiplier=5),
        Eligibility(),
    )  # fmt: skip
    alone = await _offer(
        db, registry, OfferKind.SIGN_UP, Terms(bonus_minor=7_00, wagering_multiplier=5),
        Eligibility(stacks_with_active=False),
    )  # fmt: skip
    player_id = await create_player(db, registry)
    facts = await _facts(db, player_id)
    actor = Actor("player", player_id)
    async with db.transaction() as uow:
        first = await grants.claim(uow, BRAND, stacking, facts, None, actor=actor)

    with pytest.raises(NotEligible) as refused:
        async with db.transaction() as uow:
            await grants.claim(uow, BRAND, alone, facts, None, actor=actor)
    assert "does not stack" in refused.value.message
    assert await wallets(db, player_id) == {WalletKind.BONUS: 5_00}

    async with db.transaction() as uow:
        await grants.forfeit(uow, player_id, BRAND, first.id)
    async with db.transaction() as uow:
        await grants.claim(uow, BRAND, alone, facts, None, actor=actor)
    assert await _grants(db, player_id) == [
        (GrantState.ACTIVE.value, 7_00),
        (GrantState.FORFEITED.value, 5_00),
    ]
    assert await wallets(db, player_id) == {WalletKind.BONUS: 7_00}
