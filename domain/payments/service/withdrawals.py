"""Withdrawals: request (funds to withdrawal_pending), review by finance, payout."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from domain.accounts import two_factor
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.bonuses import withdrawals as bonus_withdrawals
from domain.integrations.psp import (
    PaymentProvider,
    PayoutRequest,
    PayoutResult,
    ProviderStatus,
    call_provider,
)
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError, ReasonRequired
from domain.kernel.outbox import emit
from domain.payments.errors import ReasonTooLong, WithdrawalAlreadyReviewed
from domain.payments.events import PayoutRequested
from domain.payments.models import Payment, PaymentKind, PaymentStatus, can_move
from domain.payments.service.steps import (
    Actor,
    check_key,
    claim,
    exists,
    lock,
    move,
    record,
    shift,
)
from domain.wallets.models import WalletKind

REASON_LENGTH_MAX = 500


async def request_withdrawal(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    provider: str,
    two_factor_code: str | None = None,
    jurisdiction: str | None = None,
    forfeit_bonuses: bool = False,
) -> Payment:
    """Ask to withdraw: the amount moves from cash to withdrawal_pending at once, and only
    finance can move it on (approve) or back (reject). A retry with the same key and amount
    returns the same payment and moves nothing.

    A player with 2FA on confirms a new withdrawal with a fresh code (step-up: a stolen
    session alone cannot take the money out). A retry under the same key needs none: it
    was confirmed the first time. The step-up comes before anything is written, and
    refuses having written only its guess count: the caller commits StepUpCodeRequired,
    InvalidTwoFactorCode and LoginThrottled.

    Errors: InvalidIdempotencyKey, StepUpCodeRequired, InvalidTwoFactorCode, LoginThrottled,
    PlayerNotFound, AccountSuspended, AccountClosed, InvalidAmount, CurrencyMismatch,
    IdempotencyConflict, InsufficientFunds (which aborts the caller's transaction),
    BonusForfeitUnconfirmed.

    With the brand's `jurisdiction`, a pack that forfeits bonuses on withdrawal refuses a
    player holding an active bonus until `forfeit_bonuses` confirms it, then forfeits them
    in this transaction before the cash moves (domain.bonuses.withdrawals).
    """
    check_key(idempotency_key)
    if not await exists(uow, PaymentKind.WITHDRAWAL, brand, player_id, idempotency_key):
        if jurisdiction is not None:
            await bonus_withdrawals.check_withdrawal(
                uow, brand, jurisdiction, player_id, confirmed=forfeit_bonuses
            )
        await two_factor.step_up(uow, player_id, two_factor_code)
    payment, created = await claim(
        uow,
        kind=PaymentKind.WITHDRAWAL,
        brand=brand,
        player_id=player_id,
        amount_minor=amount_minor,
        currency=currency,
        key=idempotency_key,
        provider=provider,
    )
    if not created:
        return payment
    if jurisdiction is not None:
        await bonus_withdrawals.forfeit_on_withdrawal(uow, brand, jurisdiction, player_id)
    await shift(uow, payment, WalletKind.CASH, WalletKind.WITHDRAWAL_PENDING, "withdrawal.request")
    await record(uow, payment, None, Actor.player(player_id), "payment.withdrawal.request")
    return payment


async def approve_withdrawal(
    uow: UnitOfWork, actor: Principal, *, brand: str, payment_id: uuid.UUID
) -> Payment:
    """Finance approves (`approved`) and, in the same transaction, queues the payout
    (PayoutRequested through the outbox: a worker calls the PSP and retries until it
    answers). Approving again a withdrawal whose payout is not placed yet queues it again
    (harmless: submit_payout places a payout once).

    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, PasswordChangeRequired,
    PaymentNotFound, WithdrawalAlreadyReviewed.
    """
    require_permission(actor, Permission.WITHDRAWAL_APPROVE, brand)
    payment = await lock(uow, brand, payment_id, PaymentKind.WITHDRAWAL)
    if payment.status == PaymentStatus.APPROVED and payment.psp_reference is None:
        await emit(uow, PayoutRequested(payment_id=str(payment.id)), brand=brand)
        return payment
    if payment.status != PaymentStatus.REQUESTED:
        raise WithdrawalAlreadyReviewed(field="withdrawalId")
    payment.reviewed_by = actor.id
    await move(
        uow, payment, PaymentStatus.APPROVED, Actor.staff(actor), "payment.withdrawal.approve"
    )
    await emit(uow, PayoutRequested(payment_id=str(payment.id)), brand=brand)
    return payment


async def submit_payout(
    uow: UnitOfWork, provider: PaymentProvider, *, brand: str, payment_id: uuid.UUID
) -> Payment | None:
    """Pay out an approved withdrawal through `provider` and record its answer; None when
    there is nothing to do (not approved, or a payout already placed).

    The payment's row lock is held across the PSP call (bounded by its timeout), so two
    submissions of one payout (a redelivered message, a second approval) never overlap:
    the second finds the payout placed. Payouts are rare; the lock blocks nothing else.
    Errors: PaymentNotFound, ProviderUnavailable (nothing recorded: retry later).
    """
    payment = await lock(uow, brand, payment_id, PaymentKind.WITHDRAWAL)
    if payment.status != PaymentStatus.APPROVED or payment.psp_reference is not None:
        return None
    result = await call_provider(provider.request_payout(payout_request(payment)))
    payment.psp_reference = result.reference
    await settle_payout(uow, payment, result.status, result.failure_reason)
    await uow.flush()
    return payment


def payout_request(payment: Payment) -> PayoutRequest:
    return PayoutRequest(
        merchant_reference=str(payment.id),
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        brand=payment.brand,
        player_reference=str(payment.player_id),
    )


async def record_payout(
    uow: UnitOfWork, *, brand: str, payment_id: uuid.UUID, result: PayoutResult
) -> Payment:
    """Record the PSP's answer to a payout: paid (withdrawal_pending -> psp_clearing), failed
    (withdrawal_pending -> cash) or pending (a webhook will say). Safe to repeat.
    Errors: PaymentNotFound."""
    payment = await lock(uow, brand, payment_id, PaymentKind.WITHDRAWAL)
    if payment.psp_reference is None:
        payment.psp_reference = result.reference
    await settle_payout(uow, payment, result.status, result.failure_reason)
    await uow.flush()
    return payment


async def settle_payout(
    uow: UnitOfWork, payment: Payment, status: ProviderStatus, failure_reason: str | None
) -> bool:
    current = PaymentStatus(payment.status)
    if status is ProviderStatus.PENDING:
        return False
    after = PaymentStatus.SUCCEEDED if status is ProviderStatus.SUCCEEDED else PaymentStatus.FAILED
    if not can_move(PaymentKind.WITHDRAWAL, current, after):
        return False
    actor = Actor.psp(payment.provider)
    if after is PaymentStatus.SUCCEEDED:
        await shift(uow, payment, WalletKind.WITHDRAWAL_PENDING, None, "withdrawal.payout")
        await move(uow, payment, after, actor, "payment.withdrawal.pay")
    else:
        payment.failure_reason = failure_reason or "payout_failed"
        await shift(
            uow, payment, WalletKind.WITHDRAWAL_PENDING, WalletKind.CASH, "withdrawal.return"
        )
        await move(uow, payment, after, actor, "payment.withdrawal.fail")
    return True


# What an approved withdrawal that the PSP never took says once it is given up.
PAYOUT_NOT_PLACED = "payout_not_placed"
# Longer than the payout actor's whole retry schedule (about a day): until then the retries
# own an approved payout; after it, the sweeper ends what no message will finish.
PAYOUT_STUCK_AFTER = timedelta(days=2)


async def abandon_payout(
    uow: UnitOfWork, *, brand: str, payment_id: uuid.UUID, attempts: int
) -> Payment | None:
    """End an approved withdrawal whose payout could not be placed (the PSP stayed away
    through every retry): `failed` with PAYOUT_NOT_PLACED, the funds back from
    withdrawal_pending to cash, audited and emitted like any failure, so the player can
    use or withdraw them again and finance sees it. None when there is nothing to do (a
    payout was placed meanwhile, or it is not approved): safe to repeat.
    Errors: PaymentNotFound."""
    payment = await lock(uow, brand, payment_id, PaymentKind.WITHDRAWAL)
    if payment.status != PaymentStatus.APPROVED or payment.psp_reference is not None:
        return None
    payment.failure_reason = PAYOUT_NOT_PLACED
    await shift(uow, payment, WalletKind.WITHDRAWAL_PENDING, WalletKind.CASH, "withdrawal.return")
    await move(
        uow,
        payment,
        PaymentStatus.FAILED,
        Actor("system", "payouts"),
        "payment.withdrawal.fail",
        reason=f"payout not placed after {attempts} attempts",
    )
    await uow.flush()
    return payment


async def stuck_payouts(uow: UnitOfWork, *, limit: int) -> list[tuple[str, uuid.UUID]]:
    """(brand, id) of approved withdrawals without a payout for longer than
    PAYOUT_STUCK_AFTER (their message was lost, or ran out of retries before this code
    ended such payouts), oldest first."""
    rows = await uow.session.execute(
        select(Payment.brand, Payment.id)
        .where(
            Payment.kind == PaymentKind.WITHDRAWAL,
            Payment.status == PaymentStatus.APPROVED,
            Payment.psp_reference.is_(None),
            Payment.updated_at < clock.now() - PAYOUT_STUCK_AFTER,
        )
        .order_by(Payment.updated_at)
        .limit(limit)
    )
    return [(brand, payment_id) for brand, payment_id in rows.all()]


async def reject_withdrawal(
    uow: UnitOfWork, actor: Principal, *, brand: str, payment_id: uuid.UUID, reason: str
) -> Payment:
    """Finance refuses a withdrawal: the funds go back to cash (`rejected`).

    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, PasswordChangeRequired,
    ReasonRequired, PaymentNotFound, WithdrawalAlreadyReviewed.
    """
    require_permission(actor, Permission.WITHDRAWAL_APPROVE, brand)
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(field="reason")
    if len(reason) > REASON_LENGTH_MAX:
        raise ReasonTooLong(field="reason")
    if not reason.isprintable():
        # It lands in the audit log that staff read: one clean line.
        raise DomainError("Give the reason as one line of printable text.", field="reason")
    payment = await lock(uow, brand, payment_id, PaymentKind.WITHDRAWAL)
    if payment.status != PaymentStatus.REQUESTED:
        raise WithdrawalAlreadyReviewed(field="withdrawalId")
    await shift(uow, payment, WalletKind.WITHDRAWAL_PENDING, WalletKind.CASH, "withdrawal.reject")
    payment.reviewed_by = actor.id
    payment.review_reason = reason
    await move(
        uow,
        payment,
        PaymentStatus.REJECTED,
        Actor.staff(actor),
        "payment.withdrawal.reject",
        reason=reason,
    )
    return payment
