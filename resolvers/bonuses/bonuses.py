"""Bonuses: the transaction of each mutation is owned here; domain errors come back as
Outcome errors for the payload."""

from __future__ import annotations

import uuid
from datetime import datetime

from domain.accounts import players
from domain.accounts.errors import PlayerNotFound
from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission, require_player
from domain.bonuses import abuse, free_bets, free_rounds, grants, loyalty, offers, reports
from domain.bonuses.errors import (
    FreeBetNotFound,
    FreeRoundsNotFound,
    GrantNotFound,
    OfferNotFound,
)
from domain.bonuses.lifecycle import Actor
from domain.bonuses.models import (
    AbuseFlag,
    AbuseFlagKind,
    BonusGrant,
    BonusOffer,
    FreeBet,
    FreeRounds,
    GrantState,
)
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility
from domain.integrations.aggregator import AggregatorUnavailable
from domain.integrations.free_rounds import FreeRoundsApi
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.originals.free_rounds import StudioFreeRounds
from domain.payments.service.reads import latest_deposit
from resolvers.context import Context
from resolvers.results import Outcome, attempt
from resolvers.wallets.adjustments import amount_minor


async def create_offer(ctx: Context, draft: OfferDraft) -> Outcome[BonusOffer]:
    async def run() -> BonusOffer:
        async with ctx.db.uow() as uow:
            offer = await offers.create_offer(uow, await ctx.principal(), ctx.brand, draft)
            await uow.commit()
        return offer

    return await attempt(run)


async def update_offer(
    ctx: Context, offer_id: uuid.UUID | None, draft: OfferDraft, *, active: bool
) -> Outcome[BonusOffer]:
    async def run() -> BonusOffer:
        actor = require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
        if offer_id is None:
            raise OfferNotFound(field="id")
        async with ctx.db.uow() as uow:
            offer = await offers.update_offer(uow, actor, ctx.brand, offer_id, draft, active=active)
            await uow.commit()
        return offer

    return await attempt(run)


async def _player_facts(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> grants.PlayerFacts:
    player = await players.get(uow, brand, player_id)
    return grants.PlayerFacts(player.id, player.country, player.currency, player.created_at)


async def _deposit_fact(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID
) -> grants.DepositFact | None:
    found = await latest_deposit(uow, brand, player_id)
    if found is None:
        return None
    payment, earlier = found
    assert payment.completed_at is not None
    return grants.DepositFact(
        payment.id, payment.amount_minor, payment.currency, payment.completed_at, earlier
    )


async def _claimed_offer(
    uow: UnitOfWork, brand: str, offer_id: uuid.UUID | None, code: str | None
) -> BonusOffer:
    """The offer a player claims: by its code when one is given, else by id.

    Errors: OfferNotFound.
    """
    if code:
        return await offers.offer_by_code(uow, brand, code)
    if offer_id is None:
        raise OfferNotFound(field="offerId")
    return await offers.offer_by_id(uow, brand, offer_id)


async def _eligible_offer(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    offer_id: uuid.UUID | None,
    code: str | None,
) -> BonusOffer:
    """The offer a player claims that no deposit qualifies (free spins, a free bet), once
    the player is found eligible for it now.

    Errors: OfferNotFound, PlayerNotFound, NotEligible, NoQualifyingDeposit.
    """
    offer = await _claimed_offer(uow, brand, offer_id, code)
    facts = await _player_facts(uow, brand, player_id)
    grants.check_eligible(offer, facts, None, clock.now())
    return offer


async def _staff_grant(
    uow: UnitOfWork, brand: str, offer_id: uuid.UUID | None, player_id: uuid.UUID | None
) -> tuple[BonusOffer, uuid.UUID]:
    """The offer staff grant and the brand's player they grant it to.

    Errors: OfferNotFound, PlayerNotFound.
    """
    if offer_id is None:
        raise OfferNotFound(field="offerId")
    if player_id is None:
        raise PlayerNotFound(field="playerId")
    await players.get(uow, brand, player_id)
    return await offers.offer_by_id(uow, brand, offer_id), player_id


async def claim(ctx: Context, offer_id: uuid.UUID | None, code: str | None) -> Outcome[BonusGrant]:
    """Claim by offer id or by code, on the player's latest deposit for a deposit match."""

    async def run() -> BonusGrant:
        player = require_player(await ctx.principal())
        async with ctx.db.uow() as uow:
            offer = await _claimed_offer(uow, ctx.brand.slug, offer_id, code)
            facts = await _player_facts(uow, ctx.brand.slug, player.id)
            deposit = await _deposit_fact(uow, ctx.brand.slug, player.id)
            grant = await grants.claim(
                uow, ctx.brand.slug, offer, facts, deposit, actor=Actor("player", player.id)
            )
            await uow.commit()
        return grant

    return await attempt(run)


async def forfeit(ctx: Context, grant_id: uuid.UUID | None) -> Outcome[BonusGrant]:
    async def run() -> BonusGrant:
        player = require_player(await ctx.principal())
        if grant_id is None:
            raise GrantNotFound(field="grantId")
        async with ctx.db.uow() as uow:
            grant = await grants.forfeit(uow, player.id, ctx.brand.slug, grant_id)
            await uow.commit()
        return grant

    return await attempt(run)


async def cancel(ctx: Context, grant_id: uuid.UUID | None, reason: str) -> Outcome[BonusGrant]:
    async def run() -> BonusGrant:
        actor = require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
        if grant_id is None:
            raise GrantNotFound(field="grantId")
        async with ctx.db.uow() as uow:
            grant = await grants.cancel(uow, actor, ctx.brand.slug, grant_id, reason)
            await uow.commit()
        return grant

    return await attempt(run)


async def grant_to_player(
    ctx: Context,
    offer_id: uuid.UUID | None,
    player_id: uuid.UUID | None,
    amount: str | None,
    reason: str,
) -> Outcome[BonusGrant]:
    async def run() -> BonusGrant:
        actor = require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
        async with ctx.db.uow() as uow:
            offer, grantee = await _staff_grant(uow, ctx.brand.slug, offer_id, player_id)
            bonus_minor = None if amount is None else amount_minor(amount, offer.currency)
            grant = await grants.grant_by_staff(
                uow, actor, ctx.brand.slug, offer, grantee, bonus_minor=bonus_minor, reason=reason
            )
            await uow.commit()
        return grant

    return await attempt(run)


async def available_offers(ctx: Context, *, include_automatic: bool = False) -> list[BonusOffer]:
    """Open opt-in offers of the brand in the viewer's currency and country (all open
    offers for a visitor); with `include_automatic`, the open automatic ones too."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        found = await offers.offers_of(uow, ctx.brand.slug, active_only=True)
        facts = None
        if principal is not None and principal.is_player:
            facts = await _player_facts(uow, ctx.brand.slug, principal.id)
    now = clock.now()
    visible = []
    for offer in found:
        rules = Eligibility.from_json(offer.eligibility)
        if not (rules.opt_in or include_automatic) or not rules.open_at(now):
            continue
        if facts is not None and (
            offer.currency != facts.currency
            or (rules.countries and facts.country not in rules.countries)
            or (rules.player_ids and facts.player_id not in rules.player_ids)
        ):
            continue
        visible.append(offer)
    return visible


async def staff_offers(ctx: Context) -> list[BonusOffer]:
    require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
    async with ctx.db.uow() as uow:
        return await offers.offers_of(uow, ctx.brand.slug, active_only=False)


async def viewer_grants(ctx: Context) -> list[BonusGrant]:
    player = require_player(await ctx.principal())
    async with ctx.db.uow() as uow:
        return await grants.grants_of_player(uow, ctx.brand.slug, player.id)


async def grants_by_state(ctx: Context, state: GrantState, limit: int) -> list[BonusGrant]:
    require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
    async with ctx.db.uow() as uow:
        return await grants.grants_by_state(uow, ctx.brand.slug, state, limit=limit)


async def abuse_flags(
    ctx: Context, kind: AbuseFlagKind | None, player_id: uuid.UUID | None, limit: int
) -> list[AbuseFlag]:
    async with ctx.db.uow() as uow:
        return await abuse.flags_for_staff(
            uow, await ctx.principal(), ctx.brand.slug, kind=kind, player_id=player_id,
            limit=limit,
        )  # fmt: skip


async def cost_by_offer(ctx: Context, start: datetime, end: datetime) -> list[reports.OfferCost]:
    async with ctx.db.uow() as uow:
        return await reports.cost_by_offer(uow, await ctx.principal(), ctx.brand.slug, start, end)


def free_rounds_api(db: Database) -> FreeRoundsApi:
    """The providers' free-rounds API: the built-in studio serves Stakehouse Originals and
    the demo studios (an outside aggregator's adapter would be chosen here by provider)."""
    return StudioFreeRounds(db)


async def grant_free_spins(
    ctx: Context, offer_id: uuid.UUID | None, player_id: uuid.UUID | None, reason: str
) -> Outcome[FreeRounds]:
    async def run() -> FreeRounds:
        actor = require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
        async with ctx.db.uow() as uow:
            offer, grantee = await _staff_grant(uow, ctx.brand.slug, offer_id, player_id)
            rounds = await free_rounds.grant_free_spins_by_staff(
                uow, actor, ctx.brand.slug, offer, grantee, reason=reason
            )
            await uow.commit()
        return await free_rounds.activate(ctx.db, free_rounds_api(ctx.db), rounds.id)

    return await attempt(run)


async def claim_free_spins(
    ctx: Context, offer_id: uuid.UUID | None, code: str | None
) -> Outcome[FreeRounds]:
    async def run() -> FreeRounds:
        player = require_player(await ctx.principal())
        async with ctx.db.uow() as uow:
            offer = await _eligible_offer(uow, ctx.brand.slug, player.id, offer_id, code)
            rounds = await free_rounds.grant_free_spins(
                uow, ctx.brand.slug, offer, player.id, actor=Actor("player", player.id)
            )
            await uow.commit()
        return await free_rounds.activate(ctx.db, free_rounds_api(ctx.db), rounds.id)

    return await attempt(run)


async def cancel_free_spins(
    ctx: Context, rounds_id: uuid.UUID | None, reason: str
) -> Outcome[FreeRounds]:
    async def run() -> FreeRounds:
        actor = require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
        if rounds_id is None:
            raise FreeRoundsNotFound(field="freeSpinsId")
        async with ctx.db.uow() as uow:
            rounds = await free_rounds.cancel(uow, actor, ctx.brand.slug, rounds_id, reason)
            await uow.commit()
        try:
            return await free_rounds.withdraw(ctx.db, free_rounds_api(ctx.db), rounds.id)
        except AggregatorUnavailable:
            # Cancelled here; the sync withdraws it at the provider later.
            return rounds

    return await attempt(run)


async def viewer_free_spins(ctx: Context) -> list[FreeRounds]:
    player = require_player(await ctx.principal())
    async with ctx.db.uow() as uow:
        return await free_rounds.free_rounds_of_player(uow, ctx.brand.slug, player.id)


async def grant_free_bet(
    ctx: Context, offer_id: uuid.UUID | None, player_id: uuid.UUID | None, reason: str
) -> Outcome[FreeBet]:
    async def run() -> FreeBet:
        actor = require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
        async with ctx.db.uow() as uow:
            offer, grantee = await _staff_grant(uow, ctx.brand.slug, offer_id, player_id)
            free_bet = await free_bets.grant_free_bet_by_staff(
                uow, actor, ctx.brand.slug, offer, grantee, reason=reason
            )
            await uow.commit()
        return free_bet

    return await attempt(run)


async def cancel_free_bet(
    ctx: Context, free_bet_id: uuid.UUID | None, reason: str
) -> Outcome[FreeBet]:
    async def run() -> FreeBet:
        actor = require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
        if free_bet_id is None:
            raise FreeBetNotFound(field="freeBetId")
        async with ctx.db.uow() as uow:
            free_bet = await free_bets.cancel(uow, actor, ctx.brand.slug, free_bet_id, reason)
            await uow.commit()
        return free_bet

    return await attempt(run)


async def viewer_free_bets(ctx: Context) -> list[FreeBet]:
    player = require_player(await ctx.principal())
    async with ctx.db.uow() as uow:
        return await free_bets.free_bets_of_player(uow, ctx.brand.slug, player.id)


async def viewer_loyalty(ctx: Context) -> loyalty.LoyaltyView:
    player = require_player(await ctx.principal())
    async with ctx.db.uow() as uow:
        return await loyalty.view(uow, ctx.brand.slug, player.id)


async def staff_loyalty_programme(ctx: Context) -> loyalty.Programme | None:
    require_permission(await ctx.principal(), Permission.BONUS_MANAGE, ctx.brand.slug)
    async with ctx.db.uow() as uow:
        return await loyalty.programme_of(uow, ctx.brand.slug)


async def set_loyalty_programme(
    ctx: Context, programme: loyalty.Programme
) -> Outcome[loyalty.Programme]:
    async def run() -> loyalty.Programme:
        async with ctx.db.uow() as uow:
            row = await loyalty.set_programme(uow, await ctx.principal(), ctx.brand.slug, programme)
            await uow.commit()
        return loyalty.Programme.from_json(row.config)

    return await attempt(run)


async def redeem_loyalty_points(
    ctx: Context, points: int, idempotency_key: str
) -> Outcome[tuple[int, str, loyalty.LoyaltyView]]:
    async def run() -> tuple[int, str, loyalty.LoyaltyView]:
        player = require_player(await ctx.principal())
        async with ctx.db.uow() as uow:
            facts = await players.get(uow, ctx.brand.slug, player.id)
            cash = await loyalty.redeem(
                uow, ctx.brand.slug, player.id, facts.currency,
                points=points, idempotency_key=idempotency_key,
            )  # fmt: skip
            seen = await loyalty.view(uow, ctx.brand.slug, player.id)
            await uow.commit()
        return cash, facts.currency, seen

    return await attempt(run)


async def claim_free_bet(
    ctx: Context, offer_id: uuid.UUID | None, code: str | None
) -> Outcome[FreeBet]:
    async def run() -> FreeBet:
        player = require_player(await ctx.principal())
        async with ctx.db.uow() as uow:
            offer = await _eligible_offer(uow, ctx.brand.slug, player.id, offer_id, code)
            free_bet = await free_bets.grant_free_bet(
                uow, ctx.brand.slug, offer, player.id, actor=Actor("player", player.id)
            )
            await uow.commit()
        return free_bet

    return await attempt(run)
