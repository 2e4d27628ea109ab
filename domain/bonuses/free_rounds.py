"""Free spins: a free-spins offer grants free rounds at the game provider.

    grant (pending, in the caller's transaction) -> provider's grant call after the commit
    (active) -> each free round's bet claims one round, inside the casino callback's
    transaction -> each win is paid from the house bonus account, to cash
    (`bonus.free_round_win`) or as bonus money under the terms' wagering (`bonus.grant`
    into a grant of its own), keyed by the provider's win id -> completed when every round
    is played, or cancelled (staff, the provider) / expired (the clock).

The provider call never runs inside a database transaction: the row is committed first
(pending) and `activate` sends it; a lost answer is sent again by `sync` (the provider
grants a reward id once)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.principal import Principal
from domain.bonuses import abuse
from domain.bonuses.errors import (
    AlreadyClaimed,
    FreeRoundsNotAvailable,
    FreeRoundsNotFound,
    NotEligible,
)
from domain.bonuses.events import BonusUpdated
from domain.bonuses.lifecycle import Actor, acting_staff, claim_key, complete_if_wagered
from domain.bonuses.models import (
    FREE_ROUNDS_OPEN,
    BonusGrant,
    BonusOffer,
    FreeRounds,
    FreeRoundsState,
    GrantState,
    OfferKind,
)
from domain.bonuses.terms import Eligibility, Terms, WinningsWallet
from domain.integrations.aggregator import AggregatorUnavailable
from domain.integrations.free_rounds import (
    FreeRoundsApi,
    FreeRoundsGrant,
    FreeRoundsRefused,
    RewardReport,
    RewardStatus,
)
from domain.kernel import audit, clock, outbox
from domain.kernel.db import Database, UnitOfWork
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id

WIN_KIND: Final = "bonus.free_round_win"
BONUS_WIN_KIND: Final = "bonus.grant"
LEDGER_SCOPE: Final = IdempotencyScope("system:bonuses", "bonuses.free_rounds")
SYNC_BATCH: Final = 200
_ENDED_BY_PROVIDER: Final = {
    RewardStatus.COMPLETED: FreeRoundsState.COMPLETED,
    RewardStatus.CANCELLED: FreeRoundsState.CANCELLED,
    RewardStatus.EXPIRED: FreeRoundsState.EXPIRED,
}


async def grant_free_spins(
    uow: UnitOfWork,
    brand: str,
    offer: BonusOffer,
    player_id: uuid.UUID,
    *,
    actor: Actor,
    reason: str | None = None,
) -> FreeRounds:
    """Record free rounds for the player from a free-spins offer (pending until the
    provider confirms: call `activate` after the commit). Errors: NotEligible (not a
    free-spins offer), AlreadyClaimed."""
    if offer.kind != OfferKind.FREE_SPINS.value or not offer.active:
        raise NotEligible("This offer is not open now.", field="offerId")
    terms = Terms.from_json(offer.terms)
    assert terms.free_spins_provider is not None, "validated with the offer"
    once = Eligibility.from_json(offer.eligibility).once_per_player
    at = clock.now()
    rounds_id = uuid.uuid4()
    inserted = await uow.session.scalar(
        insert(FreeRounds)
        .values(
            id=rounds_id,
            brand=brand,
            player_id=player_id,
            offer_id=offer.id,
            offer_version=offer.version,
            claim_key=claim_key(offer, rounds_id, actor, once=once),
            provider=terms.free_spins_provider,
            games=list(terms.free_spin_games),
            currency=offer.currency,
            state=FreeRoundsState.PENDING.value,
            terms=offer.terms,
            rounds=terms.free_spins,
            stake_minor=terms.free_spin_stake_minor,
            winnings_wallet=terms.winnings_wallet.value,
            granted_at=at,
            expires_at=at + timedelta(days=terms.wagering_days),
        )
        .on_conflict_do_nothing()
        .returning(FreeRounds.id)
    )
    if inserted is None:
        raise AlreadyClaimed(field="offerId")
    await audit.record(
        uow,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action="bonus.free_rounds.pending",
        subject_type="bonus_free_rounds",
        subject_id=rounds_id,
        brand=brand,
        reason=reason,
        after={"offer": str(offer.id), "version": offer.version, "rounds": terms.free_spins},
    )
    if actor.kind != "staff":
        await abuse.check_claim(uow, brand, player_id, offer.id, rounds_id, grant_type="FreeSpins")
    await _emit(uow, brand, rounds_id, player_id, FreeRoundsState.PENDING)
    rounds = await uow.session.get(FreeRounds, rounds_id)
    assert rounds is not None
    return rounds


async def grant_free_spins_by_staff(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    offer: BonusOffer,
    player_id: uuid.UUID,
    *,
    reason: str,
) -> FreeRounds:
    """CRM staff (bonus.manage) grant a free-spins offer to a player of their brand, with a
    reason. Errors: NotAuthenticated, PermissionDenied, ReasonRequired, NotEligible,
    AlreadyClaimed."""
    actor, clean = acting_staff(staff, brand, reason)
    return await grant_free_spins(uow, brand, offer, player_id, actor=actor, reason=clean)


async def activate(db: Database, api: FreeRoundsApi, rounds_id: uuid.UUID) -> FreeRounds:
    """Send pending free rounds to their provider (after the grant's commit). Accepted:
    active. Refused: cancelled, with the provider's reason. No answer: left pending for
    `sync` to send again. Returns the row as it is now."""
    async with db.uow() as uow:
        rounds = await uow.session.get(FreeRounds, rounds_id)
        if rounds is None:
            raise FreeRoundsNotFound(field="id")
        request = _provider_grant(rounds)
        provider, state = rounds.provider, rounds.state
    if state == FreeRoundsState.PENDING.value:
        try:
            report = await api.grant_free_rounds(provider, request)
        except FreeRoundsRefused as refused:
            return await _end(db, rounds_id, FreeRoundsState.CANCELLED, refused.message, None)
        except AggregatorUnavailable:
            return await _read(db, rounds_id)
        return await _apply_report(db, rounds_id, report)
    return await _read(db, rounds_id)


def _provider_grant(rounds: FreeRounds) -> FreeRoundsGrant:
    return FreeRoundsGrant(
        reward_id=str(rounds.id),
        user=str(rounds.player_id),
        brand=rounds.brand,
        currency=rounds.currency,
        games=tuple(rounds.games),
        rounds=rounds.rounds,
        stake_minor=rounds.stake_minor,
        expires_at=rounds.expires_at,
    )


async def _read(db: Database, rounds_id: uuid.UUID) -> FreeRounds:
    async with db.uow() as uow:
        rounds = await uow.session.get(FreeRounds, rounds_id)
        assert rounds is not None
        return rounds


async def _apply_report(db: Database, rounds_id: uuid.UUID, report: RewardReport) -> FreeRounds:
    """Take the provider's word: a reward it holds is active; one it ended ends here."""
    ended = _ENDED_BY_PROVIDER.get(report.status)
    if ended is not None:
        return await _end(db, rounds_id, ended, f"the provider reports {report.status}", report)
    async with db.transaction() as uow:
        rounds = await _locked(uow, rounds_id)
        rounds.provider_status = report.status.value
        rounds.synced_at = clock.now()
        if rounds.state == FreeRoundsState.PENDING.value and report.status is RewardStatus.ACTIVE:
            rounds.state = FreeRoundsState.ACTIVE.value
            await _emit(uow, rounds.brand, rounds.id, rounds.player_id, FreeRoundsState.ACTIVE)
        await uow.flush()
        return rounds


async def _end(
    db: Database,
    rounds_id: uuid.UUID,
    state: FreeRoundsState,
    reason: str,
    report: RewardReport | None,
) -> FreeRounds:
    async with db.transaction() as uow:
        rounds = await _locked(uow, rounds_id)
        if report is not None:
            rounds.provider_status = report.status.value
            rounds.synced_at = clock.now()
        if FreeRoundsState(rounds.state) in FREE_ROUNDS_OPEN:
            await _finish(uow, rounds, state, actor=Actor.system(), reason=reason)
        await uow.flush()
        return rounds


async def _finish(
    uow: UnitOfWork, rounds: FreeRounds, state: FreeRoundsState, *, actor: Actor, reason: str
) -> None:
    before = {"state": rounds.state, "rounds_used": rounds.rounds_used}
    rounds.state = state.value
    rounds.ended_at = clock.now()
    rounds.end_reason = reason
    await audit.record(
        uow,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=f"bonus.free_rounds.{state.value}",
        subject_type="bonus_free_rounds",
        subject_id=rounds.id,
        brand=rounds.brand,
        reason=reason,
        before=before,
        after={"state": state.value, "won_minor": rounds.won_minor},
    )
    await _emit(uow, rounds.brand, rounds.id, rounds.player_id, state)


async def _locked(uow: UnitOfWork, rounds_id: uuid.UUID) -> FreeRounds:
    rounds = await uow.session.scalar(
        select(FreeRounds).where(FreeRounds.id == rounds_id).with_for_update()
    )
    if rounds is None:
        raise FreeRoundsNotFound(field="id")
    return rounds


async def _emit(
    uow: UnitOfWork, brand: str, rounds_id: uuid.UUID, player_id: uuid.UUID, state: FreeRoundsState
) -> None:
    await outbox.emit(uow, BonusUpdated(str(rounds_id), str(player_id), state.value), brand=brand)


def _reward_id(reward_uuid: str) -> uuid.UUID:
    try:
        return uuid.UUID(reward_uuid)
    except ValueError:
        raise FreeRoundsNotFound(field="reward_uuid") from None


async def use_round(
    uow: UnitOfWork,
    brand: str,
    *,
    provider: str,
    reward_uuid: str,
    player_id: uuid.UUID,
    game_code: str | None,
    currency: str,
    stake_minor: int,
) -> None:
    """A free round's bet (in the callback's transaction): take one round of the player's
    open reward on this provider, game, currency and stake. Errors: FreeRoundsNotFound,
    FreeRoundsNotAvailable."""
    rounds = await uow.session.scalar(
        select(FreeRounds)
        .where(
            FreeRounds.id == _reward_id(reward_uuid),
            FreeRounds.brand == brand,
            FreeRounds.player_id == player_id,
            FreeRounds.provider == provider,
        )
        .with_for_update()
    )
    if rounds is None:
        raise FreeRoundsNotFound(field="reward_uuid")
    if (
        FreeRoundsState(rounds.state) not in FREE_ROUNDS_OPEN
        or rounds.expires_at <= clock.now()
        or rounds.rounds_used >= rounds.rounds
        or game_code not in rounds.games
        or currency != rounds.currency
        or stake_minor != rounds.stake_minor
    ):
        raise FreeRoundsNotAvailable(field="reward_uuid")
    rounds.rounds_used += 1
    if rounds.rounds_used == rounds.rounds:
        # Every round is played; their wins still settle (by the reward id, in any state).
        await _finish(
            uow, rounds, FreeRoundsState.COMPLETED, actor=Actor.system(),
            reason="every free round played",
        )  # fmt: skip
    await uow.flush()


async def give_back_round(uow: UnitOfWork, brand: str, reward_uuid: str) -> None:
    """A free round's bet rolled back: the round is the player's again (if the reward is
    still open, or was completed by that very round)."""
    rounds = await uow.session.scalar(
        select(FreeRounds)
        .where(FreeRounds.id == _reward_id(reward_uuid), FreeRounds.brand == brand)
        .with_for_update()
    )
    if rounds is None or rounds.rounds_used == 0:
        return
    state = FreeRoundsState(rounds.state)
    if state in FREE_ROUNDS_OPEN or (
        state is FreeRoundsState.COMPLETED and rounds.expires_at > clock.now()
    ):
        rounds.rounds_used -= 1
        if state is FreeRoundsState.COMPLETED:
            rounds.state = FreeRoundsState.ACTIVE.value
            rounds.ended_at = None
            rounds.end_reason = None
        await uow.flush()


async def pay_win(
    uow: UnitOfWork,
    brand: str,
    *,
    reward_uuid: str,
    player_id: uuid.UUID,
    amount_minor: int,
    key: str,
    metadata: dict[str, object],
) -> int | None:
    """Pay a free round's win (in the callback's transaction) from the house bonus account,
    once per `key` (the provider's win id): to cash, or as bonus money held by a grant with
    the offer's wagering. Returns the ledger transaction id (None for a win of 0).
    Errors: FreeRoundsNotFound."""
    rounds = await uow.session.scalar(
        select(FreeRounds)
        .where(
            FreeRounds.id == _reward_id(reward_uuid),
            FreeRounds.brand == brand,
            FreeRounds.player_id == player_id,
        )
        .with_for_update()
    )
    if rounds is None:
        raise FreeRoundsNotFound(field="reward_uuid")
    if amount_minor == 0:
        return None
    house = await house_account_id(uow, brand, HouseAccountKind.BONUS_POOL, rounds.currency)
    details = {**metadata, "free_rounds": str(rounds.id), "offer": str(rounds.offer_id)}
    if rounds.winnings_wallet == WinningsWallet.CASH.value:
        cash = await wallet_id(uow, brand, player_id, WalletKind.CASH, rounds.currency)
        posting = await transfer(
            uow, brand=brand, kind=WIN_KIND, source=house, destination=cash,
            amount_minor=amount_minor, scope=LEDGER_SCOPE, key=key, metadata=details,
        )  # fmt: skip
    else:
        grant_id = await _winnings_grant(uow, rounds, amount_minor, key)
        bonus = await wallet_id(uow, brand, player_id, WalletKind.BONUS, rounds.currency)
        posting = await transfer(
            uow, brand=brand, kind=BONUS_WIN_KIND, source=house, destination=bonus,
            amount_minor=amount_minor, scope=LEDGER_SCOPE, key=key,
            metadata={**details, "grant": str(grant_id)},
        )  # fmt: skip
        await complete_if_wagered(uow, brand, grant_id)
    rounds.won_minor += amount_minor
    await uow.flush()
    return posting.transaction_id


async def _winnings_grant(
    uow: UnitOfWork, rounds: FreeRounds, amount_minor: int, key: str
) -> uuid.UUID:
    """The active grant holding these free rounds' bonus winnings, grown by this win (its
    wagering and conversion cap follow the offer's multipliers); a new one when there is
    none (the first win, or the last grant ended)."""
    terms = Terms.from_json(rounds.terms)
    if rounds.grant_id is not None:
        grant = await uow.session.scalar(
            select(BonusGrant).where(BonusGrant.id == rounds.grant_id).with_for_update()
        )
        if grant is not None and grant.state == GrantState.ACTIVE.value:
            grant.bonus_minor += amount_minor
            grant.required_minor = terms.required_minor(grant.bonus_minor, 0)
            grant.max_conversion_minor = terms.max_conversion_minor(grant.bonus_minor)
            await uow.flush()
            return grant.id
    at = clock.now()
    grant_id = uuid.uuid4()
    await uow.session.execute(
        insert(BonusGrant).values(
            id=grant_id,
            brand=rounds.brand,
            player_id=rounds.player_id,
            offer_id=rounds.offer_id,
            offer_version=rounds.offer_version,
            claim_key=f"free_rounds:{rounds.id}:{key}",
            currency=rounds.currency,
            state=GrantState.ACTIVE.value,
            terms=rounds.terms,
            bonus_minor=amount_minor,
            deposit_minor=0,
            required_minor=terms.required_minor(amount_minor, 0),
            max_bet_minor=terms.max_bet_minor,
            max_conversion_minor=terms.max_conversion_minor(amount_minor),
            granted_at=at,
            expires_at=at + timedelta(days=terms.wagering_days),
        )
    )
    rounds.grant_id = grant_id
    await audit.record(
        uow,
        actor_kind="system",
        actor_id=None,
        action="bonus.grant.active",
        subject_type="bonus_grant",
        subject_id=grant_id,
        brand=rounds.brand,
        reason="free spin winnings",
        after={"free_rounds": str(rounds.id), "bonus_minor": amount_minor},
    )
    await outbox.emit(
        uow,
        BonusUpdated(str(grant_id), str(rounds.player_id), GrantState.ACTIVE.value),
        brand=rounds.brand,
    )
    await uow.flush()
    return grant_id


async def cancel(
    uow: UnitOfWork, staff: Principal | None, brand: str, rounds_id: uuid.UUID, reason: str
) -> FreeRounds:
    """Staff (bonus.manage) cancel open free rounds with a reason (call `withdraw` after
    the commit: the provider withdraws the rounds not played). Winnings already paid stay.
    Errors: NotAuthenticated, PermissionDenied, ReasonRequired, FreeRoundsNotFound,
    FreeRoundsNotAvailable."""
    actor, clean = acting_staff(staff, brand, reason)
    rounds = await _locked(uow, rounds_id)
    if rounds.brand != brand:
        raise FreeRoundsNotFound(field="id")
    if FreeRoundsState(rounds.state) not in FREE_ROUNDS_OPEN:
        raise FreeRoundsNotAvailable(field="id")
    await _finish(uow, rounds, FreeRoundsState.CANCELLED, actor=actor, reason=clean)
    await uow.flush()
    return rounds


async def withdraw(db: Database, api: FreeRoundsApi, rounds_id: uuid.UUID) -> FreeRounds:
    """Tell the provider that cancelled free rounds are withdrawn (again if unsure: the
    provider's cancel is idempotent). Errors: AggregatorUnavailable."""
    rounds = await _read(db, rounds_id)
    report = await api.cancel_free_rounds(rounds.provider, str(rounds.id))
    async with db.transaction() as uow:
        locked = await _locked(uow, rounds_id)
        locked.provider_status = report.status.value
        locked.synced_at = clock.now()
        await uow.flush()
        return locked


@dataclass
class SyncReport:
    sent: int = 0
    confirmed: int = 0
    ended: int = 0
    withdrawn: int = 0
    unavailable: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)


async def sync(db: Database, api: FreeRoundsApi, *, limit: int = SYNC_BATCH) -> SyncReport:
    """The free-round status sync (worker and `stakehouse bonuses free-rounds-sync`): expire
    open rewards past their time; send pending ones again; read the status of active ones
    and end those the provider ended; withdraw at the provider what was cancelled here but
    is still active there. Safe to run again at any time (every step is idempotent)."""
    report = SyncReport()
    report.expired = await _expire_due(db, limit=limit)
    async with db.uow() as uow:
        rows = (
            await uow.session.execute(
                select(FreeRounds.id, FreeRounds.state, FreeRounds.provider_status)
                .where(
                    (FreeRounds.state.in_([s.value for s in FREE_ROUNDS_OPEN]))
                    | (
                        (FreeRounds.state == FreeRoundsState.CANCELLED.value)
                        & (FreeRounds.provider_status == RewardStatus.ACTIVE.value)
                    )
                )
                .order_by(FreeRounds.granted_at)
                .limit(limit)
            )
        ).all()
    for rounds_id, state, _ in rows:
        try:
            if state == FreeRoundsState.PENDING.value:
                report.sent += 1
                after = await activate(db, api, rounds_id)
                report.confirmed += after.state == FreeRoundsState.ACTIVE.value
                report.ended += after.state not in {s.value for s in FREE_ROUNDS_OPEN}
            elif state == FreeRoundsState.CANCELLED.value:
                await withdraw(db, api, rounds_id)
                report.withdrawn += 1
            else:
                current = await _read(db, rounds_id)
                status = await api.free_rounds_status(current.provider, str(rounds_id))
                after = await _apply_report(db, rounds_id, status)
                report.ended += after.state not in {s.value for s in FREE_ROUNDS_OPEN}
        except AggregatorUnavailable:
            report.unavailable += 1
    return report


async def _expire_due(db: Database, *, limit: int) -> int:
    async with db.transaction() as uow:
        due = await uow.session.scalars(
            select(FreeRounds)
            .where(
                FreeRounds.state.in_([s.value for s in FREE_ROUNDS_OPEN]),
                FreeRounds.expires_at <= clock.now(),
            )
            .order_by(FreeRounds.expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ended = 0
        for rounds in list(due):
            await _finish(
                uow, rounds, FreeRoundsState.EXPIRED, actor=Actor.system(),
                reason="free rounds window passed",
            )  # fmt: skip
            ended += 1
        return ended


async def free_rounds_of_player(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID
) -> list[FreeRounds]:
    return list(
        await uow.session.scalars(
            select(FreeRounds)
            .where(FreeRounds.brand == brand, FreeRounds.player_id == player_id)
            .order_by(FreeRounds.granted_at.desc())
        )
    )
