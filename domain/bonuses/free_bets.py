"""Free bets: a free-bet offer (stake, minimum odds, sports, market types) grants a free
bet: its stake moves from the house bonus account into the player's sportsbook free-bet
wallet (`bonus.grant`), and the terms are copied onto the free bet.

By rule, a bet placed with `freeBet` stakes one of the player's free bets whole: the
placement (in its own transaction) chooses the earliest-expiring free bet whose terms the
bet meets, and refuses it with a typed error otherwise (stake, odds, sport or market type);
the sportsbook pays a winning free bet's return less its stake to cash. A void bet gives the
stake back to the free-bet wallet and the free bet becomes usable again; a won or lost bet
settles it. An unused free bet past its time expires: its stake goes back to the house
(`bonus.forfeit`). A player without free bets stakes the free-bet wallet as before (money
staff put there by an adjustment)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.principal import Principal
from domain.bonuses import abuse
from domain.bonuses.errors import (
    AlreadyClaimed,
    FreeBetNotEligible,
    FreeBetNotFound,
    FreeBetOddsTooLow,
    FreeBetStakeMismatch,
    NotEligible,
)
from domain.bonuses.events import BonusUpdated
from domain.bonuses.lifecycle import Actor, acting_staff, claim_key
from domain.bonuses.models import BonusOffer, FreeBet, FreeBetState, OfferKind
from domain.bonuses.terms import Eligibility, Terms
from domain.kernel import audit, clock, outbox
from domain.kernel.db import Database, UnitOfWork
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, LedgerAccount, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id

GRANT_KIND: Final = "bonus.grant"
FORFEIT_KIND: Final = "bonus.forfeit"
LEDGER_SCOPE: Final = IdempotencyScope("system:bonuses", "bonuses.free_bets")
EXPIRY_BATCH: Final = 500


@dataclass(frozen=True)
class LegFacts:
    """What the free-bet terms look at in one selection (read by the sportsbook)."""

    sport: str
    market_type: str


async def grant_free_bet(
    uow: UnitOfWork,
    brand: str,
    offer: BonusOffer,
    player_id: uuid.UUID,
    *,
    actor: Actor,
    reason: str | None = None,
) -> FreeBet:
    """Grant a free bet from a free-bet offer: its stake into the free-bet wallet through
    the ledger, once per claim. Errors: NotEligible, AlreadyClaimed."""
    if offer.kind != OfferKind.FREE_BET.value or not offer.active:
        raise NotEligible("This offer is not open now.", field="offerId")
    terms = Terms.from_json(offer.terms)
    once = Eligibility.from_json(offer.eligibility).once_per_player
    at = clock.now()
    free_bet_id = uuid.uuid4()
    inserted = await uow.session.scalar(
        insert(FreeBet)
        .values(
            id=free_bet_id,
            brand=brand,
            player_id=player_id,
            offer_id=offer.id,
            offer_version=offer.version,
            claim_key=claim_key(offer, free_bet_id, actor, once=once),
            currency=offer.currency,
            state=FreeBetState.ACTIVE.value,
            terms=offer.terms,
            amount_minor=terms.free_bet_minor,
            granted_at=at,
            expires_at=at + timedelta(days=terms.wagering_days),
        )
        .on_conflict_do_nothing()
        .returning(FreeBet.id)
    )
    if inserted is None:
        raise AlreadyClaimed(field="offerId")
    house = await house_account_id(uow, brand, HouseAccountKind.BONUS_POOL, offer.currency)
    wallet = await wallet_id(uow, brand, player_id, WalletKind.SPORTSBOOK_FREE_BET, offer.currency)
    await transfer(
        uow, brand=brand, kind=GRANT_KIND, source=house, destination=wallet,
        amount_minor=terms.free_bet_minor, scope=LEDGER_SCOPE, key=f"{free_bet_id}:grant",
        metadata={"free_bet": str(free_bet_id), "offer": str(offer.id)},
    )  # fmt: skip
    await audit.record(
        uow,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action="bonus.free_bet.active",
        subject_type="bonus_free_bet",
        subject_id=free_bet_id,
        brand=brand,
        reason=reason,
        after={"offer": str(offer.id), "version": offer.version, "amount": terms.free_bet_minor},
    )
    if actor.kind != "staff":
        await abuse.check_claim(uow, brand, player_id, offer.id, free_bet_id, grant_type="FreeBet")
    await _emit(uow, brand, free_bet_id, player_id, FreeBetState.ACTIVE)
    free_bet = await uow.session.get(FreeBet, free_bet_id)
    assert free_bet is not None
    return free_bet


async def grant_free_bet_by_staff(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    offer: BonusOffer,
    player_id: uuid.UUID,
    *,
    reason: str,
) -> FreeBet:
    """CRM staff (bonus.manage) grant a free-bet offer to a player of their brand.
    Errors: NotAuthenticated, PermissionDenied, ReasonRequired, NotEligible, AlreadyClaimed."""
    actor, clean = acting_staff(staff, brand, reason)
    return await grant_free_bet(uow, brand, offer, player_id, actor=actor, reason=clean)


async def _emit(
    uow: UnitOfWork, brand: str, free_bet_id: uuid.UUID, player_id: uuid.UUID, state: FreeBetState
) -> None:
    await outbox.emit(uow, BonusUpdated(str(free_bet_id), str(player_id), state.value), brand=brand)


def check_terms(
    terms: Terms, *, total_stake_minor: int, combined_odds: Decimal, legs: Sequence[LegFacts]
) -> None:
    """Errors: FreeBetStakeMismatch, FreeBetOddsTooLow, FreeBetNotEligible."""
    if total_stake_minor != terms.free_bet_minor:
        raise FreeBetStakeMismatch(field="stake")
    if terms.free_bet_min_odds is not None and combined_odds < Decimal(terms.free_bet_min_odds):
        raise FreeBetOddsTooLow(
            f"A free bet needs odds of {terms.free_bet_min_odds} or more.", field="selections"
        )
    for leg in legs:
        if (terms.free_bet_sports and leg.sport not in terms.free_bet_sports) or (
            terms.free_bet_market_types and leg.market_type not in terms.free_bet_market_types
        ):
            raise FreeBetNotEligible(field="selections")


async def choose_for_bet(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    currency: str,
    *,
    total_stake_minor: int,
    combined_odds: Decimal,
    legs: Sequence[LegFacts],
) -> uuid.UUID | None:
    """The free bet a free-bet slip stakes (locked for the placement's transaction): the
    earliest-expiring active one whose terms the bet meets. None when the player holds none
    (the free-bet wallet then stakes alone). Errors: the first free bet's refusal
    (FreeBetStakeMismatch, FreeBetOddsTooLow, FreeBetNotEligible) when none fits."""
    held = list(
        await uow.session.scalars(
            select(FreeBet)
            .where(
                FreeBet.brand == brand,
                FreeBet.player_id == player_id,
                FreeBet.currency == currency,
                FreeBet.state == FreeBetState.ACTIVE.value,
                FreeBet.expires_at > clock.now(),
            )
            .order_by(FreeBet.expires_at, FreeBet.id)
            .with_for_update()
        )
    )
    if not held:
        return None
    first_refusal: Exception | None = None
    for free_bet in held:
        try:
            check_terms(
                Terms.from_json(free_bet.terms),
                total_stake_minor=total_stake_minor,
                combined_odds=combined_odds,
                legs=legs,
            )
        except (FreeBetStakeMismatch, FreeBetOddsTooLow, FreeBetNotEligible) as refusal:
            first_refusal = first_refusal or refusal
            continue
        return free_bet.id
    assert first_refusal is not None
    raise first_refusal


async def attach_bet(uow: UnitOfWork, free_bet_id: uuid.UUID, bet_id: int) -> None:
    """The placed bet staked this free bet (in the placement's transaction)."""
    await uow.session.execute(
        update(FreeBet)
        .where(FreeBet.id == free_bet_id, FreeBet.state == FreeBetState.ACTIVE.value)
        .values(state=FreeBetState.USED.value, bet_id=bet_id)
    )


async def bets_settled(
    uow: UnitOfWork, *, void_bet_ids: Sequence[int], settled_bet_ids: Sequence[int]
) -> None:
    """Settlement (or cancellation) of free bets' bets (in its transaction): a void bet's
    free bet is usable again (its stake is back in the free-bet wallet); a won or lost
    one's is settled. The free bet keeps the bet's id until another bet stakes it, so a
    rolled back settlement finds it (`bets_reopened`)."""
    if void_bet_ids:
        await uow.session.execute(
            update(FreeBet)
            .where(FreeBet.bet_id.in_(list(void_bet_ids)), FreeBet.state == FreeBetState.USED.value)
            .values(state=FreeBetState.ACTIVE.value)
        )
    if settled_bet_ids:
        await uow.session.execute(
            update(FreeBet)
            .where(
                FreeBet.bet_id.in_(list(settled_bet_ids)), FreeBet.state == FreeBetState.USED.value
            )
            .values(
                state=FreeBetState.SETTLED.value, ended_at=clock.now(), end_reason="bet settled"
            )
        )


async def bets_reopened(uow: UnitOfWork, bet_ids: Sequence[int]) -> int:
    """A settlement rolled back (or a cancellation reversed) reopened these bets, in its
    transaction: each one's free bet is back as it was before the settlement, staked by the
    open bet (a settled one, or a void one made usable again whose refund the rollback
    took back). Idempotent: a free bet already staked by its bet is left alone; one another
    bet stakes now is not this bet's any more. Returns how many came back."""
    if not bet_ids:
        return 0
    restored = (
        await uow.session.execute(
            update(FreeBet)
            .where(
                FreeBet.bet_id.in_(list(bet_ids)),
                FreeBet.state.in_([FreeBetState.SETTLED.value, FreeBetState.ACTIVE.value]),
            )
            .values(state=FreeBetState.USED.value, ended_at=None, end_reason=None)
            .returning(FreeBet.id, FreeBet.brand, FreeBet.player_id, FreeBet.bet_id)
        )
    ).all()
    for free_bet_id, brand, player_id, bet_id in restored:
        await audit.record(
            uow, actor_kind="system", actor_id=None, action="bonus.free_bet.used",
            subject_type="bonus_free_bet", subject_id=free_bet_id, brand=brand,
            reason="settlement rolled back", after={"state": "used", "bet_id": bet_id},
        )  # fmt: skip
        await _emit(uow, brand, free_bet_id, player_id, FreeBetState.USED)
    return len(restored)


async def expire_due(db: Database, *, limit: int = EXPIRY_BATCH) -> int:
    """End the active free bets past their time: each one's stake (what is left of it in
    the free-bet wallet) goes back to the house. Idempotent; returns how many ended."""
    async with db.transaction() as uow:
        due = list(
            await uow.session.scalars(
                select(FreeBet)
                .where(
                    FreeBet.state == FreeBetState.ACTIVE.value, FreeBet.expires_at <= clock.now()
                )
                .order_by(FreeBet.expires_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        for free_bet in due:
            await _forfeit(uow, free_bet, FreeBetState.EXPIRED, Actor.system(), "free bet expired")
        return len(due)


async def cancel(
    uow: UnitOfWork, staff: Principal | None, brand: str, free_bet_id: uuid.UUID, reason: str
) -> FreeBet:
    """Staff (bonus.manage) cancel an unused free bet with a reason: its stake goes back to
    the house. Errors: NotAuthenticated, PermissionDenied, ReasonRequired, FreeBetNotFound."""
    actor, clean = acting_staff(staff, brand, reason)
    free_bet = await uow.session.scalar(
        select(FreeBet)
        .where(
            FreeBet.id == free_bet_id,
            FreeBet.brand == brand,
            FreeBet.state == FreeBetState.ACTIVE.value,
        )
        .with_for_update()
    )
    if free_bet is None:
        raise FreeBetNotFound(field="freeBetId")
    await _forfeit(uow, free_bet, FreeBetState.CANCELLED, actor, clean)
    return free_bet


async def _forfeit(
    uow: UnitOfWork, free_bet: FreeBet, state: FreeBetState, actor: Actor, reason: str
) -> None:
    wallet = await wallet_id(
        uow, free_bet.brand, free_bet.player_id, WalletKind.SPORTSBOOK_FREE_BET, free_bet.currency
    )
    balance = await uow.session.scalar(
        select(func.coalesce(LedgerAccount.balance, 0))
        .where(LedgerAccount.id == wallet)
        .with_for_update()
    )
    taken = min(free_bet.amount_minor, int(balance or 0))
    if taken:
        house = await house_account_id(
            uow, free_bet.brand, HouseAccountKind.BONUS_POOL, free_bet.currency
        )
        await transfer(
            uow, brand=free_bet.brand, kind=FORFEIT_KIND, source=wallet, destination=house,
            amount_minor=taken, scope=LEDGER_SCOPE, key=f"{free_bet.id}:forfeit",
            metadata={"free_bet": str(free_bet.id), "reason": state.value},
        )  # fmt: skip
    free_bet.state = state.value
    free_bet.ended_at = clock.now()
    free_bet.end_reason = reason
    await audit.record(
        uow,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=f"bonus.free_bet.{state.value}",
        subject_type="bonus_free_bet",
        subject_id=free_bet.id,
        brand=free_bet.brand,
        reason=reason,
        before={"state": FreeBetState.ACTIVE.value},
        after={"state": state.value, "forfeited_minor": taken},
    )
    await _emit(uow, free_bet.brand, free_bet.id, free_bet.player_id, state)
    await uow.flush()


async def free_bets_of_player(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> list[FreeBet]:
    return list(
        await uow.session.scalars(
            select(FreeBet)
            .where(FreeBet.brand == brand, FreeBet.player_id == player_id)
            .order_by(FreeBet.granted_at.desc())
        )
    )
