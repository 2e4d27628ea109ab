from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base


class WalletKind(StrEnum):
    """A player's balances. Each is a ledger account in the player's currency."""

    CASH = "cash"
    BONUS = "bonus"
    WITHDRAWAL_PENDING = "withdrawal_pending"
    CASINO_BONUS = "casino_bonus"
    SPORTSBOOK_FREE_BET = "sportsbook_free_bet"
    LOYALTY_POINTS = "loyalty_points"


class HouseAccountKind(StrEnum):
    """Operator counter-accounts. Append-only: their balance is an aggregate of entries,
    never a row every bet updates."""

    PSP_CLEARING = "psp_clearing"
    WAGERS = "wagers"
    BONUS_POOL = "bonus_pool"
    ADJUSTMENTS = "adjustments"
    LOYALTY = "loyalty"
    # Affiliate commissions booked by monthly statements (a marketing cost), and what the
    # operator owes its affiliates until paid out (domain/affiliates/statements.py).
    AFFILIATE_COMMISSIONS = "affiliate_commissions"
    AFFILIATE_PAYABLE = "affiliate_payable"


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID | None] = mapped_column(UUID, ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    # Cached for player wallets (updated with their entries); house accounts keep 0 here.
    balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    tracks_balance: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("NOT tracks_balance OR balance >= 0", name="balance_not_negative"),
        CheckConstraint("(player_id IS NULL) = (NOT tracks_balance)", name="house_untracked"),
        UniqueConstraint("brand", "player_id", "kind", "currency"),
        Index(
            "uq_ledger_accounts_house",
            "brand",
            "kind",
            "currency",
            unique=True,
            postgresql_where=text("player_id IS NULL"),
        ),
    )


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    kind: Mapped[str] = mapped_column(Text)
    idempotency_scope: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Tamper evidence, written with the row: stakehouse_ledger_digest over this header and
    # the entries (domain/wallets/sql/stakehouse_ledger_digest.sql).
    digest: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        # One transaction per idempotency key (an invariant the audit re-checks).
        UniqueConstraint("brand", "idempotency_scope", "idempotency_key"),
        # Time ranges for reporting's rebuilds and reconciliation (domain/wallets/facts.py):
        # BRIN, since rows arrive in time order, costs next to nothing per posting.
        Index("ix_ledger_transactions_created_at", "created_at", postgresql_using="brin"),
    )


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_transactions.id"))
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    # The account's balance after this entry (player wallets), for statements and audits.
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
        Index("ix_ledger_entries_transaction_id", "transaction_id"),
        # Transaction history pages: a player's entries newest first (keyset on both).
        Index("ix_ledger_entries_account_created", "account_id", "created_at", "id"),
    )


class IdempotencyKey(Base):
    """A claimed key: (brand, scope = principal + operation, key), the hash of the request
    it was first used with, and the result a replay returns."""

    __tablename__ = "idempotency_keys"

    brand: Mapped[str] = mapped_column(Text, primary_key=True)
    scope: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IntegrityCheckpoint(Base):
    """How far the scheduled verifier got (domain/wallets/integrity.py), appended once per
    run that found new rows. Every audit row up to `audit_last_id` and every ledger
    transaction up to `ledger_last_id` was verified; `ledger_digest` seals the transactions
    since the previous checkpoint and chains to its digest, so removing (or adding) a
    transaction below the watermark breaks the chain, which a transaction's own digest
    cannot show."""

    __tablename__ = "integrity_checkpoints"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    audit_last_id: Mapped[int] = mapped_column(BigInteger)
    # The head hash of each audit chain at audit_last_id: {"<chain>": "<hex>"}.
    audit_heads: Mapped[dict[str, str]] = mapped_column(JSONB)
    ledger_last_id: Mapped[int] = mapped_column(BigInteger)
    ledger_transactions: Mapped[int] = mapped_column(BigInteger)
    ledger_digest: Mapped[bytes] = mapped_column(LargeBinary)
