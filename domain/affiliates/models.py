"""Affiliates, their tracking codes, the players they brought, their monthly statements
and the postbacks owed to them. Cross-context links by id only (players, brands, ledger)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base


class PlanKind(StrEnum):
    CPA = "cpa"
    REVSHARE = "revshare"
    HYBRID = "hybrid"


class Affiliate(Base):
    """An affiliate of one brand, with its commission plan (one plan per affiliate: a
    change applies from the next statement)."""

    __tablename__ = "affiliates"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=uuid.uuid4)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    name: Mapped[str] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(Text)
    # Per currency: {"EUR": {"amount_minor": 5000, "min_deposit_minor": 2000,
    # "min_stakes_minor": 1000}} (CPA and hybrid; a player in another currency earns no CPA).
    cpa_terms: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Percent of NGR, e.g. 25.00 (RevShare and hybrid).
    revshare_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    negative_carry_over: Mapped[bool] = mapped_column(Boolean, default=False)
    postback_url: Mapped[str | None] = mapped_column(Text)
    # Signs postbacks (HMAC-SHA256); shown to the affiliate once, with the access key.
    postback_secret: Mapped[str] = mapped_column(Text)
    # SHA-256 of the affiliate's access key for its own view; the key itself is never kept.
    access_key_sha256: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_affiliates_brand", "brand", "name"),)


class TrackingCode(Base):
    """A btag an affiliate puts in its landing links (`?btag=<code>`), unique per brand."""

    __tablename__ = "affiliate_tracking_codes"

    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"), primary_key=True)
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    affiliate_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("affiliates.id"), index=True)
    campaign: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Referral(Base):
    """That a player registered through an affiliate's code (at most one affiliate each)."""

    __tablename__ = "affiliate_referrals"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    affiliate_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("affiliates.id"))
    code: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (Index("ix_affiliate_referrals_affiliate", "affiliate_id", "player_id"),)


class Statement(Base):
    """An affiliate's commission for one business month in one currency. Written once:
    a second run of the month finds it and pays nothing."""

    __tablename__ = "affiliate_statements"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    affiliate_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("affiliates.id"))
    # The first day of the month.
    month: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(Text)
    players: Mapped[int] = mapped_column(Integer)
    ngr_minor: Mapped[int] = mapped_column(BigInteger)
    # Earlier months' NGR that reached the read model after their statements (late
    # events): settled here, since a stated month is never rewritten.
    adjustment_ngr_minor: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default=text("0")
    )
    carried_in_minor: Mapped[int] = mapped_column(BigInteger)
    revshare_minor: Mapped[int] = mapped_column(BigInteger)
    cpa_players: Mapped[int] = mapped_column(Integer)
    cpa_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    carried_out_minor: Mapped[int] = mapped_column(BigInteger)
    # The ledger transaction that booked the commission (none when it is zero).
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("affiliate_id", "month", "currency"),
        Index("ix_affiliate_statements_brand_month", "brand", "month"),
    )


class CpaAward(Base):
    """A player's CPA, paid once in the player's lifetime (on the statement that paid it)."""

    __tablename__ = "affiliate_cpa_awards"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    affiliate_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("affiliates.id"))
    statement_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("affiliate_statements.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class Postback(Base):
    """A signed notification owed to an affiliate's URL, retried with backoff until it is
    accepted or its attempts run out."""

    __tablename__ = "affiliate_postbacks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    affiliate_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("affiliates.id"))
    # registration | cpa | statement
    event: Mapped[str] = mapped_column(Text)
    # What the affiliate may know: its code, an opaque referral id, amounts; no personal data.
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # pending | delivered | failed
    status: Mapped[str] = mapped_column(Text, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_affiliate_postbacks_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )
