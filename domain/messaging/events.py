"""Events of the messaging context (outbox topics)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class EmailQueued(Event):
    """An e-mail waits to be sent (workers: messaging.send_email)."""

    topic: ClassVar[str] = "messaging.email_queued"
    message_id: str


@dataclass(frozen=True)
class EmailBounced(Event):
    topic: ClassVar[str] = "messaging.email_bounced"
    message_id: str
    player_id: str | None


@dataclass(frozen=True)
class InboxChanged(Event):
    """A player's inbox changed (a message arrived, was read or deleted): its unread count
    now. Subscriptions and the site's badge follow it."""

    topic: ClassVar[str] = "messaging.inbox_changed"
    player_id: str
    unread_count: int


@dataclass(frozen=True)
class SmsQueued(Event):
    """A text message waits to be sent (workers: messaging.send_sms)."""

    topic: ClassVar[str] = "messaging.sms_queued"
    message_id: str


@dataclass(frozen=True)
class SupportConversationChanged(Event):
    """A support chat got a message or changed hands: the player's chat and the brand's
    support queue follow it (subscriptions)."""

    topic: ClassVar[str] = "messaging.support_conversation_changed"
    conversation_id: str
    player_id: str
    status: str
    # The message that arrived (None for a change of hands), carried whole so that each
    # subscriber's update needs no read.
    message_id: str | None = None
    message_body: str | None = None
    from_support: bool = False
    sent_at: str | None = None
