"""Deposits: claim under the client's key, open at the PSP, credit on its word."""

from __future__ import annotations

import uuid

from domain.integrations.psp import DepositFlow, DepositRequest, DepositSession, ProviderStatus
from domain.kernel.db import UnitOfWork
from domain.payments.models import Payment, PaymentKind, PaymentStatus, can_move
from domain.payments.service.steps import Actor, claim, ledger_metadata, lock, move, record
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id


async def initiate_deposit(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    provider: str,
) -> Payment:
    """Claim a deposit under the client's key (`initiated`). A retry with the same key and
    amount returns the same payment; the caller then opens it at the PSP unless it is open.

    Errors: InvalidIdempotencyKey, PlayerNotFound, AccountSuspended, SelfExcluded,
    AccountClosed, InvalidAmount, CurrencyMismatch, IdempotencyConflict.
    """
    payment, created = await claim(
        uow,
        kind=PaymentKind.DEPOSIT,
        brand=brand,
        player_id=player_id,
        amount_minor=amount_minor,
        currency=currency,
        key=idempotency_key,
        provider=provider,
    )
    if created:
        await record(uow, payment, None, Actor.player(player_id), "payment.deposit.initiate")
    return payment


def deposit_request(
    payment: Payment, *, flow: DepositFlow = DepositFlow.HOSTED, return_url: str | None = None
) -> DepositRequest:
    return DepositRequest(
        merchant_reference=str(payment.id),
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        brand=payment.brand,
        player_reference=str(payment.player_id),
        flow=flow,
        return_url=return_url,
    )


async def open_deposit(
    uow: UnitOfWork, *, brand: str, payment_id: uuid.UUID, session: DepositSession
) -> Payment:
    """Record the PSP's session of a deposit (`pending`), or its outcome when a direct charge
    is already final. Safe to repeat. Errors: PaymentNotFound."""
    payment = await lock(uow, brand, payment_id, PaymentKind.DEPOSIT)
    if payment.psp_reference is None:
        payment.psp_reference = session.reference
    payment.redirect_url = payment.redirect_url or session.redirect_url
    await settle_deposit(uow, payment, session.status, session.failure_reason)
    await uow.flush()
    return payment


async def settle_deposit(
    uow: UnitOfWork, payment: Payment, status: ProviderStatus, failure_reason: str | None
) -> bool:
    """Apply what the PSP says about a deposit; False when it changes nothing (a duplicate, or
    news older than what we know)."""
    current = PaymentStatus(payment.status)
    actor = Actor.psp(payment.provider)
    if status is ProviderStatus.PENDING:
        if current is not PaymentStatus.INITIATED:
            return False
        await move(uow, payment, PaymentStatus.PENDING, actor, "payment.deposit.open")
        return True
    if status is ProviderStatus.FAILED:
        if not can_move(PaymentKind.DEPOSIT, current, PaymentStatus.FAILED):
            return False
        payment.failure_reason = failure_reason or "declined"
        await move(uow, payment, PaymentStatus.FAILED, actor, "payment.deposit.fail")
        return True
    if not can_move(PaymentKind.DEPOSIT, current, PaymentStatus.SUCCEEDED):
        return False
    assert payment.psp_reference is not None, "a deposit is credited against its PSP reference"
    cash = await wallet_id(uow, payment.brand, payment.player_id, WalletKind.CASH, payment.currency)
    clearing = await house_account_id(
        uow, payment.brand, HouseAccountKind.PSP_CLEARING, payment.currency
    )
    # Keyed on provider + PSP reference: whatever reaches this line twice credits once.
    await transfer(
        uow,
        brand=payment.brand,
        kind="deposit",
        source=clearing,
        destination=cash,
        amount_minor=payment.amount_minor,
        scope=IdempotencyScope(f"psp:{payment.provider}", "deposit"),
        key=payment.psp_reference,
        metadata=ledger_metadata(payment),
    )
    payment.failure_reason = None
    await move(uow, payment, PaymentStatus.SUCCEEDED, actor, "payment.deposit.succeed")
    return True
