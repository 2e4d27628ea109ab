"""PSP webhooks: apply a verified event to its payment, once."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from domain.integrations.psp import ProviderStatus, WebhookEvent, WebhookSubject
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.payments.errors import AmountMismatch, PaymentNotFound
from domain.payments.models import Payment, PaymentKind, PaymentStatus
from domain.payments.service.deposits import settle_deposit
from domain.payments.service.withdrawals import settle_payout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookResult:
    payment: Payment
    # False for a duplicate, late or out-of-order event that changed nothing.
    applied: bool
    # The PSP now reports the opposite of the payment's final status (a payout that failed
    # at once later "succeeds", a bank return after a success, a chargeback): nothing moves
    # automatically; the conflict is audited and logged for finance to reconcile.
    conflict: bool = False


# Final statuses and the PSP outcome that contradicts each.
_CONTRADICTED_BY = {
    PaymentStatus.SUCCEEDED: ProviderStatus.FAILED,
    PaymentStatus.FAILED: ProviderStatus.SUCCEEDED,
    PaymentStatus.REJECTED: ProviderStatus.SUCCEEDED,
}


async def apply_webhook(
    uow: UnitOfWork, *, brand: str, provider: str, event: WebhookEvent
) -> WebhookResult:
    """Apply a verified PSP event to its payment of `brand`. Duplicates, late retries and
    news older than what we know change nothing (`applied=False`); a deposit is credited
    once whatever arrives. Errors: PaymentNotFound, AmountMismatch."""
    kind = (
        PaymentKind.DEPOSIT if event.subject is WebhookSubject.DEPOSIT else PaymentKind.WITHDRAWAL
    )
    payment = await _payment_for_event(uow, brand, provider, kind, event)
    if event.amount_minor != payment.amount_minor or event.currency != payment.currency:
        raise AmountMismatch(field="amount")
    if kind is PaymentKind.DEPOSIT:
        applied = await settle_deposit(uow, payment, event.status, event.failure_reason)
    else:
        applied = await settle_payout(uow, payment, event.status, event.failure_reason)
    conflict = not applied and _CONTRADICTED_BY.get(PaymentStatus(payment.status)) is event.status
    if conflict:
        await _record_conflict(uow, payment, event)
    await uow.flush()
    return WebhookResult(payment, applied, conflict)


async def _record_conflict(uow: UnitOfWork, payment: Payment, event: WebhookEvent) -> None:
    log.error(
        "PSP %s reports %s for payment %s, which is final as %s: reconcile by hand",
        payment.provider, event.status.value, payment.id, payment.status,
    )  # fmt: skip
    await audit.record(
        uow,
        actor_kind="system",
        actor_id=f"psp:{payment.provider}",
        action="payment.psp_conflict",
        subject_type="payment",
        subject_id=payment.id,
        brand=payment.brand,
        reason=event.failure_reason,
        before={"status": payment.status},
        after={"psp_status": event.status.value, "psp_reference": event.reference},
    )


async def _payment_for_event(
    uow: UnitOfWork, brand: str, provider: str, kind: PaymentKind, event: WebhookEvent
) -> Payment:
    payment = await uow.session.scalar(
        select(Payment)
        .where(
            Payment.provider == provider,
            Payment.psp_reference == event.reference,
            Payment.brand == brand,
            Payment.kind == kind,
        )
        .with_for_update()
    )
    if payment is not None:
        return payment
    # The event may overtake our record of the PSP's reference (the PSP answered, then we
    # crashed, or are still committing): find the payment by our own id, which the PSP echoes.
    merchant_id = _uuid(event.merchant_reference)
    if merchant_id is not None:
        payment = await uow.session.scalar(
            select(Payment)
            .where(
                Payment.id == merchant_id,
                Payment.provider == provider,
                Payment.psp_reference.is_(None),
                Payment.brand == brand,
                Payment.kind == kind,
            )
            .with_for_update()
        )
    if payment is None:
        raise PaymentNotFound(field="reference")
    payment.psp_reference = event.reference
    return payment


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
