from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, SmallInteger, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base
from domain.kernel.ids import new_id


class InboxMessage(Base):
    __tablename__ = "inbox_messages"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Deleted by the player: gone from their inbox, kept for the operator's record of what
    # was sent.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_inbox_messages_player_created", "player_id", "created_at"),)


class EmailStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"


class EmailKind(StrEnum):
    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind, not a secret)
    # A reset asked for an address with no account here: the owner of the address learns
    # that someone tried, and the requester sees the same reply as for a known account.
    PASSWORD_RESET_UNKNOWN = "password_reset_unknown"  # noqa: S105 (a kind)
    DEPOSIT_RECEIPT = "deposit_receipt"
    WITHDRAWAL_RECEIPT = "withdrawal_receipt"
    SELF_EXCLUSION_CONFIRMATION = "self_exclusion_confirmation"
    LIMIT_CONFIRMATION = "limit_confirmation"
    NEW_DEVICE_SIGN_IN = "new_device_sign_in"
    # A CRM campaign (domain.segments.campaigns): words from staff, the brand's look, a
    # one-click unsubscribe.
    CAMPAIGN = "campaign"
    # Support answered while the player was away from the chat (domain.messaging.chat).
    SUPPORT_REPLY = "support_reply"


class EmailMessage(Base):
    """One e-mail to one recipient and its delivery status. What it says is rendered when
    it is sent (per brand and locale); `parameters` holds what the template needs and
    never a secret: links with tokens are made at send time and exist only in the mail."""

    __tablename__ = "email_messages"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID | None] = mapped_column(UUID, ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(Text, default=EmailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bounced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bounce_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'failed', 'bounced')", name="status"),
        Index("ix_email_messages_player_created", "player_id", "created_at"),
    )


class SmsStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class SmsMessage(Base):
    """One text message to one phone and its delivery status (the provider's webhook
    moves a sent message to delivered or failed)."""

    __tablename__ = "sms_messages"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID | None] = mapped_column(UUID, ForeignKey("players.id"))
    recipient: Mapped[str] = mapped_column(Text)
    # What was (or will be) sent; None until a templated message is rendered at send time.
    body: Mapped[str | None] = mapped_column(Text)
    # A templated message (a campaign): the brand's `sms/<kind>.txt` in `locale`, with
    # `parameters`; None for a message whose body the caller wrote.
    kind: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, default=SmsStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'delivered', 'failed')", name="status"),
        CheckConstraint("body IS NOT NULL OR kind IS NOT NULL", name="body_or_kind"),
        Index("ix_sms_messages_player_created", "player_id", "created_at"),
    )


class ConversationStatus(StrEnum):
    WAITING = "waiting"  # in the support queue, nobody has taken it
    TAKEN = "taken"  # an agent answers it
    CLOSED = "closed"


class SupportConversation(Base):
    """A player's support chat on one brand (its transcript: support_messages)."""

    __tablename__ = "support_conversations"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    status: Mapped[str] = mapped_column(Text, default=ConversationStatus.WAITING)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(UUID, ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_message_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'taken', 'closed')", name="status"),
        Index("ix_support_conversations_brand_status", "brand", "status", "last_message_at"),
        Index("ix_support_conversations_player_created", "player_id", "created_at"),
    )


class SupportMessage(Base):
    """One message of a support chat, by the player or by an agent (append-only)."""

    __tablename__ = "support_messages"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True, default=new_id)
    conversation_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("support_conversations.id"))
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    author_kind: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID] = mapped_column(UUID)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("author_kind IN ('player', 'staff')", name="author_kind"),
        Index("ix_support_messages_conversation_created", "conversation_id", "created_at"),
    )


class SupportPresence(Base):
    """Whether a player is following their support chat live: a lease each live
    connection (subscription) renews while it is open, so every API replica sees it and a
    connection that dies without a goodbye lapses by itself. Support's reply to a player
    without a current lease also goes out by e-mail."""

    __tablename__ = "support_presence"

    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    present_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
