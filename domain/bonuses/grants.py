"""Grants: a player claims an offer (by offer or code, after a qualifying deposit), or
staff grant one. The grant copies the offer's terms as they are now; its bonus comes from
the house bonus account through the ledger (`bonus.grant`), once per claim."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.principal import Principal
from domain.bonuses import abuse
from domain.bonuses.errors import (
    AlreadyClaimed,
    GrantNotFound,
    InvalidTerms,
    NoQualifyingDeposit,
    NotEligible,
)
from domain.bonuses.events import BonusUpdated
from domain.bonuses.lifecycle import Actor, acting_staff, end_grant
from domain.bonuses.models import BonusGrant, BonusOffer, GrantState, OfferKind
from domain.bonuses.repository import grants_by_state, grants_of_player
from domain.bonuses.terms import Audience, Eligibility, Terms
from domain.kernel import audit, clock, outbox
from domain.kernel.db import UnitOfWork
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id

GRANT_KIND: Final = "bonus.grant"
LEDGER_SCOPE: Final = IdempotencyScope("system:bonuses", "bonuses.grant")
_NOT_CLAIMED_HERE: Final = frozenset({OfferKind.FREE_SPINS.value, OfferKind.FREE_BET.value})
# Offers a deposit qualifies for: the bonus matches the deposit.
_DEPOSIT_TRIGGERED: Final = frozenset({OfferKind.DEPOSIT_MATCH.value, OfferKind.RELOAD.value})


@dataclass(frozen=True)
class PlayerFacts:
    """What eligibility needs to know of the player (read by the caller)."""

    player_id: uuid.UUID
    country: str
    currency: str
    registered_at: datetime


@dataclass(frozen=True)
class DepositFact:
    """A completed deposit, from payments (which bonuses does not import)."""

    payment_id: uuid.UUID
    amount_minor: int
    currency: str
    completed_at: datetime
    # Completed deposits the player made before this one.
    earlier_deposits: int


def check_eligible(
    offer: BonusOffer,
    player: PlayerFacts,
    deposit: DepositFact | None,
    at: datetime,
    *,
    automatic: bool = False,
) -> None:
    """Whether the player may have the offer now: claimed by the player (an opt-in offer
    only) or, `automatic`, granted by the system on the qualifying event (an automatic
    offer only). Errors: NotEligible, NoQualifyingDeposit."""
    rules = Eligibility.from_json(offer.eligibility)
    terms = Terms.from_json(offer.terms)
    if not offer.active or not rules.open_at(at) or offer.kind == OfferKind.CASHBACK.value:
        raise NotEligible("This offer is not open now.", field="offerId")
    if rules.opt_in == automatic:
        message = (
            "This offer is claimed by the player."
            if automatic
            else "This offer is given automatically: there is nothing to claim."
        )
        raise NotEligible(message, field="offerId")
    if player.currency != offer.currency:
        raise NotEligible("This offer is for another currency.", field="offerId")
    if rules.countries and player.country not in rules.countries:
        raise NotEligible(field="offerId")
    if rules.player_ids and player.player_id not in rules.player_ids:
        raise NotEligible(field="offerId")
    window = timedelta(hours=rules.claim_window_hours)
    if offer.kind in _DEPOSIT_TRIGGERED:
        if (
            deposit is None
            or deposit.currency != offer.currency
            or deposit.amount_minor < terms.min_deposit_minor
            or at - deposit.completed_at > window
        ):
            raise NoQualifyingDeposit(field="offerId")
        first = deposit.earlier_deposits == 0
        # A reload rewards a player who deposited before.
        existing_only = rules.audience is Audience.EXISTING or offer.kind == OfferKind.RELOAD
        if (rules.audience is Audience.NEW and not first) or (existing_only and first):
            raise NotEligible(field="offerId")
    elif at - player.registered_at > window:
        raise NotEligible("The time to claim this offer has passed.", field="offerId")


async def claim(
    uow: UnitOfWork,
    brand: str,
    offer: BonusOffer,
    player: PlayerFacts,
    deposit: DepositFact | None,
    *,
    actor: Actor,
) -> BonusGrant:
    """Grant `offer` to the player if eligible. Errors: NotEligible, NoQualifyingDeposit,
    AlreadyClaimed."""
    at = clock.now()
    if offer.kind in _NOT_CLAIMED_HERE:
        # Free spins and free bets are granted by their own paths (free_rounds, free_bets).
        raise NotEligible("Claim this offer as free spins or a free bet.", field="offerId")
    check_eligible(offer, player, deposit, at, automatic=actor.kind == "system")
    if not Eligibility.from_json(offer.eligibility).stacks_with_active and (
        await _holds_active(uow, brand, player.player_id, offer.currency)
    ):
        raise NotEligible(
            "This offer does not stack with the bonus you hold: finish or forfeit it first.",
            field="offerId",
        )
    terms = Terms.from_json(offer.terms)
    deposit_minor = deposit.amount_minor if deposit else 0
    if offer.kind in _DEPOSIT_TRIGGERED:
        bonus_minor = terms.bonus_for_deposit(deposit_minor)
    else:
        bonus_minor = terms.bonus_minor
    return await _grant(
        uow, brand, offer, player.player_id, bonus_minor=bonus_minor,
        deposit=deposit, actor=actor, reason=None, at=at,
    )  # fmt: skip


async def _holds_active(uow: UnitOfWork, brand: str, player_id: uuid.UUID, currency: str) -> bool:
    held = await uow.session.scalar(
        select(BonusGrant.id)
        .where(
            BonusGrant.brand == brand,
            BonusGrant.player_id == player_id,
            BonusGrant.currency == currency,
            BonusGrant.state == GrantState.ACTIVE.value,
        )
        .limit(1)
    )
    return held is not None


async def automatic_deposit_offers(uow: UnitOfWork, brand: str, currency: str) -> list[BonusOffer]:
    """The brand's active automatic (not opt-in) deposit-match and reload offers in the
    currency: a completed deposit may qualify for them."""
    found = await uow.session.scalars(
        select(BonusOffer)
        .where(
            BonusOffer.brand == brand,
            BonusOffer.active,
            BonusOffer.currency == currency,
            BonusOffer.kind.in_(sorted(_DEPOSIT_TRIGGERED)),
            BonusOffer.eligibility["opt_in"].as_boolean().is_(False),
        )
        .order_by(BonusOffer.created_at, BonusOffer.id)
    )
    return list(found)


async def claim_automatic(
    uow: UnitOfWork,
    brand: str,
    automatic: Sequence[BonusOffer],
    player: PlayerFacts,
    deposit: DepositFact,
) -> list[BonusGrant]:
    """Grant the player each of the `automatic` offers (automatic_deposit_offers) the
    completed deposit qualifies for, in a savepoint each: a refusal grants nothing and
    leaves the deposit alone."""
    granted = []
    for offer in automatic:
        try:
            async with uow.session.begin_nested():
                granted.append(
                    await claim(uow, brand, offer, player, deposit, actor=Actor.system())
                )
        except (NotEligible, NoQualifyingDeposit, AlreadyClaimed):
            continue
    return granted


async def grant_by_staff(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    offer: BonusOffer,
    player_id: uuid.UUID,
    *,
    bonus_minor: int | None,
    reason: str,
) -> BonusGrant:
    """Staff (bonus.manage) grant an offer to a player of their brand, skipping its
    eligibility, with a reason; a deposit match needs the amount. Errors: NotAuthenticated,
    PermissionDenied, ReasonRequired, InvalidTerms, AlreadyClaimed."""
    actor, clean = acting_staff(staff, brand, reason)
    if offer.kind in _NOT_CLAIMED_HERE:
        raise InvalidTerms(
            "Grant free spins or a free bet with their own mutation.", field="offerId"
        )
    terms = Terms.from_json(offer.terms)
    amount = bonus_minor if bonus_minor is not None else terms.bonus_minor
    if amount <= 0:
        raise InvalidTerms("Give the bonus amount.", field="amount")
    return await _grant(
        uow, brand, offer, player_id, bonus_minor=amount, deposit=None,
        actor=actor, reason=clean, at=clock.now(),
    )  # fmt: skip


async def _grant(
    uow: UnitOfWork,
    brand: str,
    offer: BonusOffer,
    player_id: uuid.UUID,
    *,
    bonus_minor: int,
    deposit: DepositFact | None,
    actor: Actor,
    reason: str | None,
    at: datetime,
) -> BonusGrant:
    if bonus_minor <= 0:
        raise NoQualifyingDeposit(field="offerId")
    terms = Terms.from_json(offer.terms)
    rules = Eligibility.from_json(offer.eligibility)
    claim_key = str(offer.id)
    if offer.kind == OfferKind.RELOAD.value and deposit is not None:
        # Once per period, whatever once_per_player says: a reload repeats by period.
        claim_key = f"{offer.id}:{rules.reload_period.name_of(deposit.completed_at)}"
    elif not rules.once_per_player and deposit is not None:
        claim_key = f"{offer.id}:{deposit.payment_id}"
    deposit_minor = deposit.amount_minor if deposit else 0
    grant_id = uuid.uuid4()
    # The claim key is unique per player: a second claim (or a concurrent one) inserts
    # nothing and moves no money.
    inserted = await uow.session.scalar(
        insert(BonusGrant)
        .values(
            id=grant_id,
            brand=brand,
            player_id=player_id,
            offer_id=offer.id,
            offer_version=offer.version,
            claim_key=claim_key,
            currency=offer.currency,
            state=GrantState.ACTIVE.value,
            terms=offer.terms,
            bonus_minor=bonus_minor,
            deposit_minor=deposit_minor,
            required_minor=terms.required_minor(bonus_minor, deposit_minor),
            max_bet_minor=terms.max_bet_minor,
            max_conversion_minor=terms.max_conversion_minor(bonus_minor),
            payment_id=deposit.payment_id if deposit else None,
            granted_at=at,
            expires_at=at + timedelta(days=terms.wagering_days),
        )
        .on_conflict_do_nothing()
        .returning(BonusGrant.id)
    )
    if inserted is None:
        raise AlreadyClaimed(field="offerId")
    house = await house_account_id(uow, brand, HouseAccountKind.BONUS_POOL, offer.currency)
    bonus_wallet = await wallet_id(uow, brand, player_id, WalletKind.BONUS, offer.currency)
    await transfer(
        uow, brand=brand, kind=GRANT_KIND, source=house, destination=bonus_wallet,
        amount_minor=bonus_minor, scope=LEDGER_SCOPE, key=str(grant_id),
        metadata={"grant": str(grant_id), "offer": str(offer.id), "version": offer.version},
    )  # fmt: skip
    await audit.record(
        uow,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action="bonus.grant.active",
        subject_type="bonus_grant",
        subject_id=grant_id,
        brand=brand,
        reason=reason,
        after={"offer": str(offer.id), "version": offer.version, "bonus_minor": bonus_minor},
    )
    if actor.kind != "staff":
        await abuse.check_claim(uow, brand, player_id, offer.id, grant_id)
    await outbox.emit(
        uow, BonusUpdated(str(grant_id), str(player_id), GrantState.ACTIVE.value), brand=brand
    )
    grant = await uow.session.get(BonusGrant, grant_id)
    assert grant is not None
    return grant


async def forfeit(
    uow: UnitOfWork, player_id: uuid.UUID, brand: str, grant_id: uuid.UUID
) -> BonusGrant:
    """The player gives up a bonus: its bonus money goes back to the house; the player
    keeps their deposit and its winnings (cash). Errors: GrantNotFound, GrantNotActive."""
    await _owned(uow, brand, player_id, grant_id)
    return await end_grant(
        uow, brand, grant_id, GrantState.FORFEITED, actor=Actor("player", player_id),
        reason="forfeited by the player",
    )  # fmt: skip


async def cancel(
    uow: UnitOfWork, staff: Principal | None, brand: str, grant_id: uuid.UUID, reason: str
) -> BonusGrant:
    """Staff (bonus.manage) cancel a grant with a reason. Errors: NotAuthenticated,
    PermissionDenied, ReasonRequired, GrantNotFound, GrantNotActive."""
    actor, clean = acting_staff(staff, brand, reason)
    return await end_grant(uow, brand, grant_id, GrantState.CANCELLED, actor=actor, reason=clean)


async def _owned(uow: UnitOfWork, brand: str, player_id: uuid.UUID, grant_id: uuid.UUID) -> None:
    owner = await uow.session.scalar(
        select(BonusGrant.player_id).where(BonusGrant.id == grant_id, BonusGrant.brand == brand)
    )
    if owner != player_id:
        raise GrantNotFound(field="grantId")


__all__ = [
    "DepositFact",
    "PlayerFacts",
    "automatic_deposit_offers",
    "cancel",
    "check_eligible",
    "claim",
    "claim_automatic",
    "forfeit",
    "grant_by_staff",
    "grants_by_state",
    "grants_of_player",
]
