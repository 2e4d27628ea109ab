"""AML and harm-monitoring tables: the risk queue's alerts and the interactions staff record
on them. A player whose alert holds their deposits has `players.deposits_held` set, read
with the status by the one guard in front of every deposit (no extra round trip)."""

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
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base


class AlertRule(StrEnum):
    # Money movement (AML).
    CUMULATIVE_DEPOSITS = "cumulative_deposits"
    LARGE_DEPOSIT = "large_deposit"
    RAPID_DEPOSITS = "rapid_deposits"
    PAYMENT_METHODS = "payment_methods"
    LITTLE_PLAY = "little_play"
    # Markers of harm.
    RISING_DEPOSIT_FREQUENCY = "rising_deposit_frequency"
    NIGHT_PLAY = "night_play"
    LIMIT_INCREASES = "limit_increases"


class AlertStatus(StrEnum):
    OPEN = "open"
    # A risk analyst took it: theirs until they record the outcome.
    TAKEN = "taken"
    CLOSED = "closed"


class AlertOutcome(StrEnum):
    # The checks are done and nothing holds the player back: held deposits are released.
    CLEARED = "cleared"
    # Referred to the money-laundering reporting officer: deposits stay refused.
    REFERRED = "referred"


class InteractionKind(StrEnum):
    NOTE = "note"
    PLAYER_CONTACTED = "player_contacted"
    DOCUMENTS_REQUESTED = "documents_requested"


_RULES = ", ".join(f"'{rule.value}'" for rule in AlertRule)
_STATUSES = ", ".join(f"'{status.value}'" for status in AlertStatus)
_OUTCOMES = ", ".join(f"'{outcome.value}'" for outcome in AlertOutcome)
_KINDS = ", ".join(f"'{kind.value}'" for kind in InteractionKind)


class AmlAlert(Base):
    """One rule's finding about one player in one window (`window_key`): raised once however
    often and however concurrently the events that cross it are evaluated (the unique key)."""

    __tablename__ = "aml_alerts"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    rule: Mapped[str] = mapped_column(Text)
    # Which window of the rule: a 30-day period number, a payment id, an hour...
    window_key: Mapped[str] = mapped_column(Text)
    # What crossed the rule: amounts (minor units with their currency), dates, payment ids.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The pack's answer: further deposits are refused until risk staff record an outcome.
    holds_deposits: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    status: Mapped[str] = mapped_column(Text, server_default=text("'open'"))
    taken_by: Mapped[uuid.UUID | None] = mapped_column(UUID)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(UUID)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("player_id", "rule", "window_key"),
        CheckConstraint(f"rule IN ({_RULES})", name="rule"),
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        CheckConstraint(f"outcome IS NULL OR outcome IN ({_OUTCOMES})", name="outcome"),
        CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)", name="closed_outcome"),
        # The risk queue: a brand's alerts not closed, oldest first.
        Index(
            "ix_aml_alerts_queue",
            "brand",
            "raised_at",
            postgresql_where=text("status <> 'closed'"),
        ),
        Index("ix_aml_alerts_player", "player_id", "raised_at"),
    )


class AmlInteraction(Base):
    """What a risk analyst did about an alert (append-only: a note, a contact, a request)."""

    __tablename__ = "aml_interactions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("aml_alerts.id"), index=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    staff_id: Mapped[uuid.UUID] = mapped_column(UUID)
    kind: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (CheckConstraint(f"kind IN ({_KINDS})", name="kind"),)
