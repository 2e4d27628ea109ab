"""Tables of the segments context. Players are referenced by id only (no relationship
across contexts)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    cast,
    extract,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.accounts.models import Player
from domain.kernel.db import Base
from domain.kernel.ids import new_id


class SegmentKind(StrEnum):
    # Members are the players the rule matches, kept from events.
    RULE = "rule"
    # Members are the players of an imported list, kept as imported.
    STATIC = "static"


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    # The rule tree (domain.segments.rules) as JSON; None for a static list.
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The outside CRM's id of the audience this static segment mirrors (its lists update
    # the segment in place); None for segments made here.
    crm_audience: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("kind IN ('rule', 'static')", name="kind"),
        CheckConstraint("(kind = 'rule') = (rule IS NOT NULL)", name="rule_of_kind"),
        Index("ix_segments_brand", "brand", "created_at"),
        Index(
            "uq_segments_crm_audience",
            "brand",
            "crm_audience",
            unique=True,
            postgresql_where=text("crm_audience IS NOT NULL"),
        ),
    )


class SegmentMember(Base):
    """Who is in a segment now."""

    __tablename__ = "segment_members"

    segment_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("segments.id"), primary_key=True)
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_segment_members_player", "player_id"),)


class SegmentMembershipChange(Base):
    """Append-only history: a player entered (`entered`) or left a segment at `at`. "Was
    this player in the segment at T" is the last change at or before T."""

    __tablename__ = "segment_membership_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    segment_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("segments.id"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    entered: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_segment_membership_changes_lookup", "segment_id", "player_id", "at"),
    )


class PlayerActivityDay(Base):
    """What a player did on a (UTC) day, per currency and measure, kept from ledger events:
    the behaviour facts that rolling-window conditions sum. Measures: `deposit`,
    `stake:<product>`, `win:<product>`, `bonus_grant`, `active`."""

    __tablename__ = "segment_activity_days"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    measure: Mapped[str] = mapped_column(Text, primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_segment_activity_days_brand_day", "brand", "day"),)


class SegmentRefreshRun(Base):
    """How far the daily refresh of a brand's segments has got (domain.segments.refresh):
    every day up to `done_through` is applied; a run in progress works toward
    `target_day` and has evaluated the candidates up to `cursor` (player id order), so a
    run that stops resumes there. One row per brand, locked by the run that holds it."""

    __tablename__ = "segment_refresh_runs"

    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"), primary_key=True)
    done_through: Mapped[date] = mapped_column(Date)
    target_day: Mapped[date | None] = mapped_column(Date)
    cursor: Mapped[uuid.UUID | None] = mapped_column(UUID)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def birthday_key(date_of_birth: Any) -> Any:
    """month * 100 + day of a date (e.g. 1231): what the refresh looks birthdays up by,
    through `ix_players_brand_birthday` (the expression must match the index's)."""
    return cast(extract("month", date_of_birth) * 100 + extract("day", date_of_birth), Integer)


# On `players` (accounts' table), for segments' refresh: the players whose age changes on
# the days a run covers, found without reading the brand's players. EXTRACT from a date is
# immutable, so it can be indexed.
PLAYERS_BIRTHDAY_INDEX = Index(
    "ix_players_brand_birthday",
    Player.brand,
    birthday_key(Player.date_of_birth),
)
# The players registered on given days (the `days_since_registration` edges).
PLAYERS_CREATED_INDEX = Index("ix_players_brand_created_at", Player.brand, Player.created_at)


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INBOX = "inbox"
    PUSH = "push"


class MarketingConsent(Base):
    """A player's marketing consent on one channel now (absent: not given). Every change
    is audited (kernel audit log)."""

    __tablename__ = "marketing_consents"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(Text, primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms', 'inbox', 'push')", name="channel"),
    )


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Campaign(Base):
    """A message to a segment's members on one channel, now or at `send_at`, at most
    `throttle_per_minute` recipients a minute. `content` holds per-locale subject, text
    and optional HTML: {"en": {"subject": ..., "text": ..., "html": ...}, ...}."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    segment_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("segments.id"))
    name: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    send_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    throttle_per_minute: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, default=CampaignStatus.SCHEDULED)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The brand site's origin (scheme, host, port) that e-mailed links point to.
    origin: Mapped[str] = mapped_column(Text)
    # When the audience was fixed (the segment's members then) and when the last was sent.
    targeted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms', 'inbox', 'push')", name="channel"),
        CheckConstraint("status IN ('scheduled', 'sending', 'done', 'cancelled')", name="status"),
        CheckConstraint("throttle_per_minute > 0", name="throttle_positive"),
        Index(
            "ix_campaigns_due",
            "send_at",
            postgresql_where=text("status IN ('scheduled', 'sending')"),
        ),
    )


class RecipientOutcome(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED_CONSENT = "suppressed_consent"
    SUPPRESSED_PROTECTED = "suppressed_protected"
    # Nowhere to send it on the channel: no e-mail address, no verified phone.
    SUPPRESSED_UNREACHABLE = "suppressed_unreachable"


class CampaignRecipient(Base):
    """One player of a campaign's audience: the primary key makes each get it once."""

    __tablename__ = "campaign_recipients"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("campaigns.id"), primary_key=True
    )
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(Text, default=RecipientOutcome.PENDING)
    # What was sent: the e-mail, text (messaging.email_messages, sms_messages) or inbox
    # message id.
    message_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "outcome IN ('pending', 'sent', 'failed', 'suppressed_consent', "
            "'suppressed_protected', 'suppressed_unreachable')",
            name="outcome",
        ),
        Index(
            "ix_campaign_recipients_pending",
            "campaign_id",
            postgresql_where=text("outcome = 'pending'"),
        ),
    )


class CrmLane(Base):
    """One player's lane to the brand's CRM: the last sequence given to an event (taken
    under this row's lock, so sequences commit in order) and the lease of the worker that
    delivers the lane (one at a time, so a later event never overtakes an earlier one)."""

    __tablename__ = "crm_lanes"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    last_sequence: Mapped[int] = mapped_column(BigInteger)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Whose lease it is: a worker releases or renews only its own.
    lease_token: Mapped[uuid.UUID | None] = mapped_column(UUID)


class CrmDeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"


class CrmDelivery(Base):
    """One event owed to the CRM: its body is fixed when recorded (the event id inside lets
    the receiver drop a redelivery), delivered in `sequence` order per player."""

    __tablename__ = "crm_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID, unique=True)
    # What caused it, once per player: `<outbox event id>:<player id>`.
    source: Mapped[str] = mapped_column(Text, unique=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    sequence: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, default=CrmDeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered')", name="status"),
        Index("uq_crm_deliveries_lane", "player_id", "sequence", unique=True),
        # The sweep's and the lane's read: pending heads only.
        Index(
            "ix_crm_deliveries_pending",
            "player_id",
            "sequence",
            postgresql_where=text("status = 'pending'"),
        ),
    )
