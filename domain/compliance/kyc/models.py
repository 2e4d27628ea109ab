"""KYC and profile tables: the player's legal profile, their verification checks at a
provider, and every decision the provider (or risk staff) took on a check.

The player's current tier is a column of `players` (`kyc_tier`), kept by the decisions, so
the deposit, play and withdrawal gates read it with the player's status in one statement.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base


class KycTier(StrEnum):
    """How far a player is verified, in order: each tier includes the ones before it."""

    NONE = "none"
    BASIC = "basic"
    FULL = "full"
    ENHANCED = "enhanced"

    @property
    def rank(self) -> int:
        return _TIER_ORDER.index(self)

    def covers(self, required: KycTier) -> bool:
        return self.rank >= required.rank


_TIER_ORDER = (KycTier.NONE, KycTier.BASIC, KycTier.FULL, KycTier.ENHANCED)


class CheckStatus(StrEnum):
    # Started: the player has the hosted flow's link and has not finished it.
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # The provider asks the player to send documents again (the same check goes on).
    RESUBMISSION_REQUESTED = "resubmission_requested"
    # The provider could not decide alone: risk staff decide in the review queue.
    MANUAL_REVIEW = "manual_review"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    PROOF_OF_ADDRESS = "proof_of_address"
    SOURCE_OF_FUNDS = "source_of_funds"


class PlayerProfile(Base):
    """The player's legal identity as they (or staff, with a reason) entered it. Changes
    are audited (`player.profile.update`) with the fields before and after."""

    __tablename__ = "player_profiles"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    given_name: Mapped[str | None] = mapped_column(Text)
    family_name: Mapped[str | None] = mapped_column(Text)
    address_line1: Mapped[str | None] = mapped_column(Text)
    address_line2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    # ISO 3166-1 alpha-2.
    address_country: Mapped[str | None] = mapped_column(Text)
    nationality: Mapped[str | None] = mapped_column(Text)
    # E.164; verified when the player typed back the code texted to it (kyc.phone);
    # a changed number is unverified again.
    phone: Mapped[str | None] = mapped_column(Text)
    phone_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Name, date of birth and address as a digest, once all are given (compliance.linking).
    identity_digest: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index(
            "ix_player_profiles_identity_digest",
            "identity_digest",
            postgresql_where="identity_digest IS NOT NULL",
        ),
    )


class KycCheck(Base):
    """One verification at a provider for a tier. Its status follows the provider's
    decisions in the provider's order (`decision_sequence`): a late or repeated decision
    never overrides a newer one."""

    __tablename__ = "kyc_checks"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    provider: Mapped[str] = mapped_column(Text)
    # The provider's id of the check (its webhooks name it).
    reference: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    flow_url: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str | None] = mapped_column(Text)
    document_expires_on: Mapped[date | None] = mapped_column(Date)
    # The provider's sequence of the decision the status comes from (0: none yet).
    decision_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # "provider" or the staff member who decided a manual review.
    decided_by: Mapped[str | None] = mapped_column(Text)
    # The approved document's type and number as a digest (compliance.linking).
    document_digest: Mapped[str | None] = mapped_column(Text)
    # The name, date of birth and address the provider verified, as a digest: the only
    # identity that links persons (a profile's own is self-declared and only flags).
    identity_digest: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("provider", "reference"),
        Index(
            "ix_kyc_checks_document_digest",
            "document_digest",
            postgresql_where="document_digest IS NOT NULL",
        ),
        Index(
            "ix_kyc_checks_identity_digest",
            "identity_digest",
            postgresql_where="identity_digest IS NOT NULL",
        ),
        CheckConstraint("tier IN ('basic', 'full', 'enhanced')", name="tier"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'resubmission_requested', "
            "'manual_review')",
            name="status",
        ),
        Index("ix_kyc_checks_player", "player_id", "created_at"),
        Index(
            "ix_kyc_checks_review",
            "brand",
            "decided_at",
            postgresql_where="status = 'manual_review'",
        ),
    )


class KycDecision(Base):
    """Every decision received (append-only): each provider event once (`event_id`), kept
    whether or not it changed the check (`applied`), with the staff decisions too."""

    __tablename__ = "kyc_decisions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    check_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("kyc_checks.id"), index=True)
    event_id: Mapped[str] = mapped_column(Text, unique=True)
    outcome: Mapped[str] = mapped_column(Text)
    sequence: Mapped[int] = mapped_column(BigInteger)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    applied: Mapped[bool] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ErasureRequest(Base):
    """A player's erasure request: what could go went at once; the regulated records are
    kept until `retain_until`, then the scheduler erases them (`completed_at`)."""

    __tablename__ = "erasure_requests"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retain_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_erasure_requests_due", "retain_until", postgresql_where="completed_at IS NULL"),
    )
