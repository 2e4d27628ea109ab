"""Reads: the finance review queue (keyset pages), net deposits, payments by id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import case, func, select, tuple_

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.kernel import paging
from domain.kernel.db import UnitOfWork
from domain.kernel.paging import INSTANT, UUID, check_page_size, decode_cursor, encode_cursor
from domain.payments.models import Payment, PaymentKind, PaymentStatus

PAGE_SIZE_DEFAULT: Final = 20
# The schema's argument docs cite it.
PAGE_SIZE_MAX: Final = paging.PAGE_SIZE_MAX
_CURSOR_VERSION: Final = "w1"


@dataclass(frozen=True)
class QueueCursor:
    """A position in the review queue's oldest-first order: (created_at, payment id)."""

    created_at: datetime
    payment_id: uuid.UUID

    def encode(self) -> str:
        return encode_cursor(_CURSOR_VERSION, self.created_at, self.payment_id)

    @classmethod
    def decode(cls, text: str) -> QueueCursor:
        """Errors: InvalidCursor."""
        return cls(*decode_cursor(text, _CURSOR_VERSION, INSTANT, UUID))


@dataclass(frozen=True)
class QueuePage:
    payments: list[Payment]
    has_next_page: bool

    def cursor_of(self, payment: Payment) -> str:
        return QueueCursor(payment.created_at, payment.id).encode()


async def pending_withdrawals(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    brand: str,
    first: int = PAGE_SIZE_DEFAULT,
    after: QueueCursor | None = None,
) -> QueuePage:
    """The brand's withdrawals waiting for review, oldest first, after `after`. One
    statement (on the partial index of the queue).

    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, PasswordChangeRequired,
    InvalidPageSize.
    """
    require_permission(actor, Permission.WITHDRAWAL_APPROVE, brand)
    check_page_size(first)
    query = select(Payment).where(
        Payment.brand == brand,
        Payment.kind == PaymentKind.WITHDRAWAL,
        Payment.status == PaymentStatus.REQUESTED,
    )
    if after is not None:
        query = query.where(
            tuple_(Payment.created_at, Payment.id) > tuple_(after.created_at, after.payment_id)
        )
    # One extra row tells whether another page follows, without a count.
    rows = list(
        await uow.session.scalars(query.order_by(Payment.created_at, Payment.id).limit(first + 1))
    )
    return QueuePage(rows[:first], has_next_page=len(rows) > first)


async def net_deposits(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> int:
    """Completed deposits minus paid-out withdrawals, in minor units of the player's
    currency (payments are only ever in that currency). Negative when the player has
    taken out more than they put in."""
    signed = case(
        (Payment.kind == PaymentKind.DEPOSIT, Payment.amount_minor), else_=-Payment.amount_minor
    )
    total = await uow.session.scalar(
        select(func.coalesce(func.sum(signed), 0)).where(
            Payment.brand == brand,
            Payment.player_id == player_id,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
    )
    return int(total or 0)


async def payments_by_id(
    uow: UnitOfWork, brand: str, ids: Sequence[uuid.UUID], *, player_id: uuid.UUID | None = None
) -> dict[uuid.UUID, Payment]:
    """Payments of `brand` (and of `player_id`, when given) among `ids`."""
    if not ids:
        return {}
    query = select(Payment).where(Payment.brand == brand, Payment.id.in_(ids))
    if player_id is not None:
        query = query.where(Payment.player_id == player_id)
    return {payment.id: payment for payment in await uow.session.scalars(query)}


async def latest_deposit(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID
) -> tuple[Payment, int] | None:
    """The player's latest credited deposit and how many were credited before it (what a
    deposit bonus qualifies on); None before the first."""
    rows = list(
        await uow.session.scalars(
            select(Payment)
            .where(
                Payment.brand == brand,
                Payment.player_id == player_id,
                Payment.kind == PaymentKind.DEPOSIT.value,
                Payment.status == PaymentStatus.SUCCEEDED.value,
            )
            .order_by(Payment.completed_at.desc(), Payment.id)
        )
    )
    return (rows[0], len(rows) - 1) if rows else None


@dataclass(frozen=True)
class DepositFilter:
    """What finance searches deposits by; every part is optional and they combine. The
    amount bounds are minor units of `currency` (inclusive) and need it."""

    player_id: uuid.UUID | None = None
    statuses: tuple[str, ...] = ()
    currency: str | None = None
    min_minor: int | None = None
    max_minor: int | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


async def search_deposits(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    brand: str,
    found: DepositFilter,
    first: int = PAGE_SIZE_DEFAULT,
    after: QueueCursor | None = None,
) -> QueuePage:
    """The brand's deposits matching `found`, newest first, before `after` (its cursors
    are the queue's: a position (created_at, id)). One statement.

    Errors: those of require_permission(WALLET_READ), InvalidPageSize."""
    require_permission(actor, Permission.WALLET_READ, brand)
    check_page_size(first)
    query = select(Payment).where(Payment.brand == brand, Payment.kind == PaymentKind.DEPOSIT)
    if found.player_id is not None:
        query = query.where(Payment.player_id == found.player_id)
    if found.statuses:
        query = query.where(Payment.status.in_(found.statuses))
    if found.currency is not None:
        query = query.where(Payment.currency == found.currency)
    if found.min_minor is not None:
        query = query.where(Payment.amount_minor >= found.min_minor)
    if found.max_minor is not None:
        query = query.where(Payment.amount_minor <= found.max_minor)
    if found.at_from is not None:
        query = query.where(Payment.created_at >= found.at_from)
    if found.at_to is not None:
        query = query.where(Payment.created_at < found.at_to)
    if after is not None:
        query = query.where(
            tuple_(Payment.created_at, Payment.id) < tuple_(after.created_at, after.payment_id)
        )
    rows = list(
        await uow.session.scalars(
            query.order_by(Payment.created_at.desc(), Payment.id.desc()).limit(first + 1)
        )
    )
    return QueuePage(rows[:first], has_next_page=len(rows) > first)


async def failed_since(uow: UnitOfWork, brand: str, since: datetime) -> int:
    """How many of the brand's payments (deposits and payouts) failed since `since`."""
    total = await uow.session.scalar(
        select(func.count()).where(
            Payment.brand == brand,
            Payment.status == PaymentStatus.FAILED,
            Payment.created_at >= since,
        )
    )
    return int(total or 0)
