"""Deposits: claim under the client's key, open at the PSP, credit on its word."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select

from domain.accounts import players
from domain.bonuses import grants, lifecycle, offers
from domain.integrations.psp import DepositFlow, DepositRequest, DepositSession, ProviderStatus
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.payments.models import Payment, PaymentKind, PaymentStatus, can_move
from domain.payments.service.steps import Actor, claim, ledger_metadata, lock, move, record
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id

log = logging.getLogger(__name__)


async def initiate_deposit(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    provider: str,
    bonus_offer_id: uuid.UUID | None = None,
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
        bonus_offer_id=bonus_offer_id,
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
    await _claim_bonus(uow, payment)
    return True


async def _claim_bonus(uow: UnitOfWork, payment: Payment) -> None:
    """Claim the offer the deposit's bonus code named, on this deposit, and the brand's
    automatic deposit offers it qualifies for. A claim that fails (no longer eligible,
    below the minimum, already claimed) grants nothing and leaves the deposit credited:
    each runs in a savepoint."""
    assert payment.completed_at is not None
    automatic = await grants.automatic_deposit_offers(uow, payment.brand, payment.currency)
    if payment.bonus_offer_id is None and not automatic:
        return
    player = await players.get(uow, payment.brand, payment.player_id)
    earlier = await uow.session.scalar(
        select(func.count()).where(
            Payment.player_id == payment.player_id,
            Payment.kind == PaymentKind.DEPOSIT.value,
            Payment.status == PaymentStatus.SUCCEEDED.value,
            Payment.id != payment.id,
        )
    )
    deposit = grants.DepositFact(
        payment.id, payment.amount_minor, payment.currency, payment.completed_at, int(earlier or 0)
    )
    facts = grants.PlayerFacts(player.id, player.country, player.currency, player.created_at)
    if payment.bonus_offer_id is not None:
        try:
            async with uow.session.begin_nested():
                offer = await offers.offer_by_id(uow, payment.brand, payment.bonus_offer_id)
                await grants.claim(
                    uow, payment.brand, offer, facts, deposit,
                    actor=lifecycle.Actor("player", payment.player_id),
                )  # fmt: skip
        except DomainError as error:
            log.info("deposit %s: bonus not granted (%s)", payment.id, error.code)
    await grants.claim_automatic(uow, payment.brand, automatic, facts, deposit)
