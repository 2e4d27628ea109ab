"""Payments: deposits and withdrawals, one row each, with their status machines.

    deposit     initiated -> pending -> succeeded | failed
                initiated -> succeeded | failed          (a direct charge, final at once)
                failed -> succeeded                       (the PSP took the money after all)
    withdrawal  requested -> approved -> succeeded | failed
                requested -> rejected

Money moves only at these transitions, through the ledger, each under a key derived from the
payment or the PSP's reference, so a repeated transition moves nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base
from domain.kernel.ids import new_id


class PaymentKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class PaymentStatus(StrEnum):
    # Deposit claimed under the client's key; the PSP has not opened it yet.
    INITIATED = "initiated"
    # Deposit open at the PSP, waiting for its outcome.
    PENDING = "pending"
    # Withdrawal waiting for finance; the funds sit in withdrawal_pending.
    REQUESTED = "requested"
    # Withdrawal approved; the payout is at the PSP.
    APPROVED = "approved"
    # Withdrawal refused by finance; the funds went back to cash.
    REJECTED = "rejected"
    # Deposit credited, or payout paid.
    SUCCEEDED = "succeeded"
    # Deposit failed, or payout failed (the funds went back to cash).
    FAILED = "failed"


TRANSITIONS = {
    PaymentKind.DEPOSIT: {
        PaymentStatus.INITIATED: frozenset(
            {PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}
        ),
        PaymentStatus.PENDING: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}),
        PaymentStatus.FAILED: frozenset({PaymentStatus.SUCCEEDED}),
    },
    PaymentKind.WITHDRAWAL: {
        PaymentStatus.REQUESTED: frozenset({PaymentStatus.APPROVED, PaymentStatus.REJECTED}),
        PaymentStatus.APPROVED: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED}),
    },
}


def can_move(kind: PaymentKind, before: PaymentStatus, after: PaymentStatus) -> bool:
    return after in TRANSITIONS[kind].get(before, frozenset())


_DEPOSIT_STATUSES = "'initiated', 'pending', 'succeeded', 'failed'"
_WITHDRAWAL_STATUSES = "'requested', 'approved', 'rejected', 'succeeded', 'failed'"


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    # The client's key: a retried request finds this row instead of making another.
    idempotency_key: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    # The PSP's id of the deposit or payout, once it has one.
    psp_reference: Mapped[str | None] = mapped_column(Text)
    redirect_url: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(UUID)
    review_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A deposit made with a bonus code: the offer claimed when it is credited.
    bonus_offer_id: Mapped[uuid.UUID | None] = mapped_column(UUID)

    __table_args__ = (
        UniqueConstraint("brand", "player_id", "kind", "idempotency_key"),
        # One payment per PSP reference (NULLs, i.e. not yet opened, do not collide).
        UniqueConstraint("provider", "psp_reference"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("kind IN ('deposit', 'withdrawal')", name="kind"),
        CheckConstraint(
            f"(kind = 'deposit' AND status IN ({_DEPOSIT_STATUSES})) OR "
            f"(kind = 'withdrawal' AND status IN ({_WITHDRAWAL_STATUSES}))",
            name="status",
        ),
        # The finance queue: requested withdrawals of a brand, oldest first.
        Index(
            "ix_payments_review_queue",
            "brand",
            "created_at",
            postgresql_where=text("kind = 'withdrawal' AND status = 'requested'"),
        ),
        # Net deposits and a player's history.
        Index("ix_payments_player", "player_id", "kind", "status"),
        # The back office's deposit search: a brand's deposits newest first (and a
        # player's), keyset on (created_at, id).
        Index(
            "ix_payments_deposit_search",
            "brand",
            "created_at",
            "id",
            postgresql_where=text("kind = 'deposit'"),
        ),
        Index(
            "ix_payments_player_deposits",
            "player_id",
            "created_at",
            "id",
            postgresql_where=text("kind = 'deposit'"),
        ),
    )
