"""PSP webhooks: apply a verified event to its payment, once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from domain.integrations.psp import WebhookEvent, WebhookSubject
from domain.kernel.db import UnitOfWork
from domain.payments.errors import AmountMismatch, PaymentNotFound
from domain.payments.models import Payment, PaymentKind
from domain.payments.service.deposits import settle_deposit
from domain.payments.service.withdrawals import settle_payout


@dataclass(frozen=True)
class WebhookResult:
    payment: Payment
    # False for a duplicate, late or out-of-order event that changed nothing.
    applied: bool


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
    await uow.flush()
    return WebhookResult(payment, applied)


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
