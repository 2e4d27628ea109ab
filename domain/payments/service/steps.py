"""The steps every payment shares: checks, the claim under the client's key, the row
lock, ledger movements, status changes with their audit row and outbox event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.models import Player
from domain.accounts.principal import Principal
from domain.compliance.service import Activity, ensure_allowed
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.ids import new_id
from domain.kernel.outbox import emit
from domain.payments.errors import CurrencyMismatch, PaymentNotFound
from domain.payments.events import PaymentStatusChanged
from domain.payments.models import Payment, PaymentKind, PaymentStatus, can_move
from domain.wallets.errors import IdempotencyConflict, InvalidAmount, InvalidIdempotencyKey
from domain.wallets.ledger import KEY_PATTERN, IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import AMOUNT_MAX_MINOR, house_account_id, transfer, wallet_id

_FINAL = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.REJECTED})


@dataclass(frozen=True)
class Actor:
    """Who caused a status change, as the audit log records it."""

    kind: str  # player | staff | system
    id: str | None

    @classmethod
    def player(cls, player_id: uuid.UUID) -> Actor:
        return cls("player", str(player_id))

    @classmethod
    def psp(cls, provider: str) -> Actor:
        return cls("system", f"psp:{provider}")

    @classmethod
    def staff(cls, principal: Principal) -> Actor:
        return cls(principal.actor_kind, str(principal.id))


def check_key(key: str) -> None:
    if not KEY_PATTERN.match(key):
        raise InvalidIdempotencyKey(field="idempotencyKey")


async def check_amount(
    uow: UnitOfWork, player_id: uuid.UUID, amount_minor: int, currency: str
) -> None:
    if type(amount_minor) is not int or not 0 < amount_minor <= AMOUNT_MAX_MINOR:
        raise InvalidAmount(field="amount")
    wallet_currency = await uow.session.scalar(
        select(Player.currency).where(Player.id == player_id)
    )
    if currency != wallet_currency:
        raise CurrencyMismatch(field="amount")


async def claim(
    uow: UnitOfWork,
    *,
    kind: PaymentKind,
    brand: str,
    player_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    key: str,
    provider: str,
    bonus_offer_id: uuid.UUID | None = None,
) -> tuple[Payment, bool]:
    """Check the request, then insert the payment or find the one this key already made (a
    concurrent twin waits here for the first to commit). Returns (payment, created).

    The player's status is checked first, also for a retry: a player blocked since the
    first attempt cannot complete it."""
    check_key(key)
    activity = Activity.DEPOSIT if kind is PaymentKind.DEPOSIT else Activity.WITHDRAWAL
    # A deposit also passes the player's time-out and deposit limits (those who have any).
    await ensure_allowed(
        uow, brand, player_id, activity, amount_minor=amount_minor, payment_key=key
    )
    await check_amount(uow, player_id, amount_minor, currency)
    status = PaymentStatus.INITIATED if kind is PaymentKind.DEPOSIT else PaymentStatus.REQUESTED
    created = await uow.session.scalar(
        insert(Payment)
        .values(
            id=new_id(),
            brand=brand,
            player_id=player_id,
            kind=kind.value,
            status=status.value,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=key,
            provider=provider,
            bonus_offer_id=bonus_offer_id,
        )
        .on_conflict_do_nothing(index_elements=["brand", "player_id", "kind", "idempotency_key"])
        .returning(Payment.id)
    )
    payment = await uow.session.scalar(
        select(Payment)
        .where(
            Payment.brand == brand,
            Payment.player_id == player_id,
            Payment.kind == kind,
            Payment.idempotency_key == key,
        )
        .with_for_update()
    )
    assert payment is not None, "the row was inserted or found under its key"
    if created is None and (payment.amount_minor, payment.currency) != (amount_minor, currency):
        raise IdempotencyConflict(field="idempotencyKey")
    return payment, created is not None


async def exists(
    uow: UnitOfWork, kind: PaymentKind, brand: str, player_id: uuid.UUID, key: str
) -> bool:
    """Whether the player already made a payment of `kind` under `key` (a retry)."""
    found = await uow.session.scalar(
        select(Payment.id).where(
            Payment.brand == brand,
            Payment.player_id == player_id,
            Payment.kind == kind,
            Payment.idempotency_key == key,
        )
    )
    return found is not None


async def lock(uow: UnitOfWork, brand: str, payment_id: uuid.UUID, kind: PaymentKind) -> Payment:
    payment = await uow.session.scalar(
        select(Payment)
        .where(Payment.id == payment_id, Payment.brand == brand, Payment.kind == kind)
        .with_for_update()
    )
    if payment is None:
        field = "withdrawalId" if kind is PaymentKind.WITHDRAWAL else "paymentId"
        raise PaymentNotFound(field=field)
    return payment


async def shift(
    uow: UnitOfWork,
    payment: Payment,
    source: WalletKind,
    destination: WalletKind | None,
    operation: str,
) -> None:
    """Move the payment's amount between two of the player's wallets, or (destination None)
    out to the house's PSP clearing account. Keyed on the payment and the operation, so each
    step of a payment moves money once."""
    source_id = await wallet_id(uow, payment.brand, payment.player_id, source, payment.currency)
    if destination is None:
        destination_id = await house_account_id(
            uow, payment.brand, HouseAccountKind.PSP_CLEARING, payment.currency
        )
    else:
        destination_id = await wallet_id(
            uow, payment.brand, payment.player_id, destination, payment.currency
        )
    await transfer(
        uow,
        brand=payment.brand,
        kind=operation,
        source=source_id,
        destination=destination_id,
        amount_minor=payment.amount_minor,
        scope=IdempotencyScope("payments", operation),
        key=str(payment.id),
        metadata=ledger_metadata(payment),
    )


def ledger_metadata(payment: Payment) -> dict[str, Any]:
    return {
        "payment_id": str(payment.id),
        "provider": payment.provider,
        "psp_reference": payment.psp_reference,
    }


async def move(
    uow: UnitOfWork,
    payment: Payment,
    after: PaymentStatus,
    actor: Actor,
    action: str,
    *,
    reason: str | None = None,
) -> None:
    before = PaymentStatus(payment.status)
    assert can_move(PaymentKind(payment.kind), before, after), f"{before} -> {after}"
    payment.status = after.value
    payment.updated_at = clock.now()
    if after in _FINAL:
        payment.completed_at = payment.updated_at
    await record(uow, payment, before, actor, action, reason=reason)


async def record(
    uow: UnitOfWork,
    payment: Payment,
    before: PaymentStatus | None,
    actor: Actor,
    action: str,
    *,
    reason: str | None = None,
) -> None:
    """The audit row and the outbox event of a payment's creation or status change."""
    after: dict[str, Any] = {
        "status": payment.status,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "psp_reference": payment.psp_reference,
    }
    if payment.failure_reason:
        after["failure_reason"] = payment.failure_reason
    await audit.record(
        uow,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=action,
        subject_type="payment",
        subject_id=payment.id,
        brand=payment.brand,
        reason=reason,
        before={"status": before.value} if before else None,
        after=after,
    )
    await emit(
        uow,
        PaymentStatusChanged(
            payment_id=str(payment.id),
            player_id=str(payment.player_id),
            kind=payment.kind,
            before=before.value if before else None,
            after=payment.status,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
        ),
        brand=payment.brand,
    )
