"""Player protection tables: the limits a player sets and the reality-check reminders they
acknowledged. Time-outs and the reality-check interval are columns of `players` (read with
the player on the paths that need them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel import clock
from domain.kernel.db import Base


def time_out_running(until: datetime | None) -> datetime | None:
    """The end of a time-out (`players.time_out_until`) while it runs; None when there is
    none or it has ended (nothing lifts a time-out: it is compared with now)."""
    return until if until is not None and until > clock.now() else None


class LimitKind(StrEnum):
    DEPOSIT = "deposit"
    LOSS = "loss"
    WAGER = "wager"
    # Minutes per signed-in session (amount_minor holds minutes, no currency).
    SESSION = "session"


class LimitPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    # The period of a session-time limit.
    SESSION = "session"


class PlayerLimit(Base):
    """One limit of a player: a kind over a period. An increase or removal waits in the
    pending columns until the player confirms it after the cooling-off."""

    __tablename__ = "player_limits"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    # Minor units of `currency` (the player's); minutes for a session limit.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(Text)
    pending_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    pending_removal: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    pending_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("player_id", "kind", "period"),
        CheckConstraint("kind IN ('deposit', 'loss', 'wager', 'session')", name="kind"),
        CheckConstraint("period IN ('day', 'week', 'month', 'session')", name="period"),
        CheckConstraint("(kind = 'session') = (period = 'session')", name="session_period"),
        CheckConstraint("(kind = 'session') = (currency IS NULL)", name="session_currency"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("pending_amount_minor > 0", name="pending_amount_positive"),
        CheckConstraint(
            "NOT (pending_removal AND pending_amount_minor IS NOT NULL)", name="one_pending_change"
        ),
        CheckConstraint(
            "(pending_requested_at IS NULL) = "
            "(pending_amount_minor IS NULL AND NOT pending_removal)",
            name="pending_requested",
        ),
    )


class RealityCheck(Base):
    """The last reality-check reminder the player acknowledged in a session: the next is
    due one interval after it (or after sign-in)."""

    __tablename__ = "reality_checks"

    session_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("auth_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Person(Base):
    """One human behind players on several brands of the operator (domain.compliance.identity
    holds the rule that links them)."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonLink(Base):
    """A player's person: set at registration by the identity rule (`rule` names what
    matched: "email_dob" or "new")."""

    __tablename__ = "person_links"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("persons.id"), index=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    rule: Mapped[str] = mapped_column(Text)
    # The matching key the rule computed (a digest, never the e-mail itself).
    match_key: Mapped[str | None] = mapped_column(Text, index=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SelfExclusionRow(Base):
    """A self-exclusion of a person, asked for on one brand and applied on all. Its end
    follows the pack of the brand it was asked on: "at_date" lifts it at `ends_at`;
    "on_request" keeps it until the player asks after `ends_at`, then a cooling-off."""

    __tablename__ = "self_exclusions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("persons.id"), index=True)
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    jurisdiction: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # None: permanent.
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    at_end: Mapped[str] = mapped_column(Text)
    end_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the player may return (on_request: the request + the pack's cooling-off).
    lifts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("at_end IN ('at_date', 'on_request')", name="at_end"),
        Index("ix_self_exclusions_person_open", "person_id", postgresql_where="lifted_at IS NULL"),
    )


class DeviceSighting(Base):
    """A device the fingerprinting provider recognised for a player, with its latest risk
    signals (compliance.linking)."""

    __tablename__ = "device_sightings"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(Text, primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    risk_signals: Mapped[list[str]] = mapped_column(ARRAY(Text))
    first_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (Index("ix_device_sightings_device", "brand", "device_id"),)


class DuplicateFlag(Base):
    """A possible duplicate account within a brand: two players sharing a document, a name
    with date of birth and address, or a device. For risk staff to review."""

    __tablename__ = "duplicate_flags"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    other_player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    rule: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("player_id", "other_player_id", "rule"),
        CheckConstraint("rule IN ('document', 'name_dob_address', 'device')", name="rule"),
        CheckConstraint("player_id <> other_player_id", name="pair"),
        Index("ix_duplicate_flags_brand", "brand", "flagged_at"),
    )
