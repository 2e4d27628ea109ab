"""Payments' multi-step flows: the ones that span transactions or call the PSP.

The house shape (STYLE.md, "Where new contexts go"): a flow takes the Database and opens
and commits its own units of work, one per step, and makes every outside call between
them, never inside a transaction; each step (domain.payments.service) takes a unit of work
and only flushes. Resolvers and actors stay thin: they decode their input and call a flow
or a step. A crash between two steps leaves a row that says what is owed, and repeating
the flow completes it (the PSP call is idempotent on our payment id). The one outside call
made inside a transaction is the payout's, on purpose: its row lock must span the call.
"""

from __future__ import annotations

import uuid

from domain.bonuses import offers
from domain.bonuses.errors import OfferNotFound
from domain.bonuses.models import OfferKind
from domain.integrations import default_payment_provider, payment_provider
from domain.integrations.psp import DepositFlow, call_provider
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.settings import Settings
from domain.payments import service as payments
from domain.payments.errors import PaymentNotFound
from domain.payments.models import Payment, PaymentStatus


async def deposit(
    database: Database,
    settings: Settings,
    *,
    brand: str,
    player_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    flow: DepositFlow,
    bonus_code: str | None = None,
) -> Payment:
    """Claim a deposit under the key (committed), open it at the PSP (outside any
    transaction, bounded by call_provider's timeout), record the session (a hosted
    redirect, or a direct charge's outcome; committed). A replay returns the same payment,
    and completes one the PSP never opened.

    Errors: UnknownProvider; those of initiate_deposit (InvalidIdempotencyKey,
    PlayerNotFound, AccountSuspended, SelfExcluded, AccountClosed, InvalidAmount,
    CurrencyMismatch, IdempotencyConflict); ProviderUnavailable; PaymentNotFound;
    OfferNotFound (a bonus code no active deposit offer of the brand has)."""
    provider = default_payment_provider(settings, brand)
    async with database.uow() as uow:
        bonus_offer_id = None
        if bonus_code:
            bonus_offer_id = await _deposit_offer(uow, brand, bonus_code)
        payment = await payments.initiate_deposit(
            uow,
            brand=brand,
            player_id=player_id,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=idempotency_key,
            provider=provider.name,
            bonus_offer_id=bonus_offer_id,
        )
        await uow.commit()
    if payment.status != PaymentStatus.INITIATED:
        return payment  # a replay of a deposit the PSP already opened
    # The provider the payment was claimed with, which a replay may no longer default to.
    provider = payment_provider(settings, payment.provider)
    request = payments.deposit_request(payment, flow=flow)
    session = await call_provider(provider.create_deposit(request))
    async with database.uow() as uow:
        payment = await payments.open_deposit(
            uow, brand=brand, payment_id=payment.id, session=session
        )
        await uow.commit()
    return payment


async def _deposit_offer(uow: UnitOfWork, brand: str, code: str) -> uuid.UUID:
    """The deposit offer a bonus code names. Errors: OfferNotFound (field bonusCode)."""
    try:
        offer = await offers.offer_by_code(uow, brand, code)
    except OfferNotFound:
        raise OfferNotFound(field="bonusCode") from None
    if offer.kind != OfferKind.DEPOSIT_MATCH.value:
        raise OfferNotFound("This code is not for a deposit bonus.", field="bonusCode")
    return offer.id


async def submit_payout(
    database: Database, settings: Settings, *, brand: str, payment_id: uuid.UUID
) -> Payment | None:
    """Place an approved withdrawal's payout with its PSP and record the answer, in one
    transaction that holds the payment's row lock across the call (submit_payout), so two
    deliveries of one message never both place it. None: already placed or not approved.
    Errors: PaymentNotFound, UnknownProvider (permanent); ProviderUnavailable (retry)."""
    async with database.uow() as uow:
        payment = await uow.session.get(Payment, payment_id)
        if payment is None:
            raise PaymentNotFound(field="withdrawalId")
        provider = payment_provider(settings, payment.provider)
        placed = await payments.submit_payout(uow, provider, brand=brand, payment_id=payment_id)
        await uow.commit()
    return placed
