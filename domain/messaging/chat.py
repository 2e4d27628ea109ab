"""Support chat: a player opens a conversation from the site, support staff of the brand
see it waiting in their queue, take it and reply; each message and change of hands emits
SupportConversationChanged, which both sides' subscriptions follow after commit. The
transcript is kept per player and brand; every read takes the brand, and staff need
support.chat over it, so an agent of another brand sees nothing.

Support's first reply after the player wrote puts a notice in the player's inbox; when the
player is not following the chat live (no current presence lease: each live connection
renews one, see `keep_present`), the reply also goes by e-mail, through the mail queue in
the reply's transaction. The notice's words are the brand's gettext catalogue's, in the
player's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission, require_player
from domain.brands.translations import translations
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings
from domain.messaging import notices
from domain.messaging import service as inbox
from domain.messaging.errors import ConversationClosed, ConversationNotFound, InvalidChatMessage
from domain.messaging.events import SupportConversationChanged
from domain.messaging.models import (
    ConversationStatus,
    SupportConversation,
    SupportMessage,
    SupportPresence,
)

MESSAGE_LENGTH_MAX: Final = 2_000
QUEUE_LIMIT_MAX: Final = 100
TRANSCRIPT_LIMIT_MAX: Final = 200
# Answers an agent picks from and edits (the same for every brand today).
CANNED_REPLIES: Final = (
    ("Greeting", "Hello, thanks for getting in touch. How can I help you today?"),
    ("Checking", "Thanks, give me a moment while I check your account."),
    ("Withdrawal times", "Withdrawals are reviewed within 24 hours, then paid to your "
     "payment method; your bank may take up to 3 working days."),
    ("Limits", "You can set deposit, loss and session limits any time under Responsible "
     "gambling. Lower limits apply at once."),
    ("Closing", "Is there anything else I can help you with?"),
)  # fmt: skip


# How long one live connection counts the player as present without renewing: the
# connection renews at PRESENCE_RENEW_S, so one missed renewal does not make them absent,
# and a connection that died without a goodbye lapses within the lease.
PRESENCE_LEASE: Final = timedelta(seconds=45)
PRESENCE_RENEW_S: Final = 15.0
# The inbox notice of support's reply (msgids of the base theme's catalogues).
_REPLY_NOTICE_SUBJECT: Final = "Support replied"
_REPLY_NOTICE_BODY: Final = "Support answered your message. Open Support to read it."


def _text(body: str) -> str:
    text = body.strip()
    if not text or len(text) > MESSAGE_LENGTH_MAX or "\x00" in text:
        raise InvalidChatMessage(field="body")
    return text


async def _post(
    uow: UnitOfWork, conversation: SupportConversation, actor: Principal, body: str
) -> SupportMessage:
    message = SupportMessage(
        id=uuid.uuid4(),
        conversation_id=conversation.id,
        brand=conversation.brand,
        author_kind="staff" if actor.is_staff else "player",
        author_id=actor.id,
        body=body,
        created_at=clock.now(),
    )
    uow.session.add(message)
    conversation.last_message_at = message.created_at
    await uow.flush()
    await _changed(uow, conversation, message)
    return message


async def _changed(
    uow: UnitOfWork, conversation: SupportConversation, message: SupportMessage | None
) -> None:
    await emit(
        uow,
        SupportConversationChanged(
            conversation_id=str(conversation.id),
            player_id=str(conversation.player_id),
            status=conversation.status,
            message_id=str(message.id) if message else None,
            message_body=message.body if message else None,
            from_support=bool(message and message.author_kind == "staff"),
            sent_at=message.created_at.isoformat() if message else None,
        ),
        brand=conversation.brand,
    )


async def player_writes(
    uow: UnitOfWork, actor: Principal | None, brand: str, body: str
) -> tuple[SupportConversation, SupportMessage]:
    """The signed-in player writes to support: into their conversation still open on this
    brand, or a new one that waits in the queue. A self-excluded player's withdraw-only
    session may write too. Errors: NotAuthenticated, TwoFactorRequired, InvalidChatMessage."""
    player = require_player(actor, withdraw_only_allowed=True)
    text = _text(body)
    conversation = await uow.session.scalar(
        select(SupportConversation)
        .where(
            SupportConversation.brand == brand,
            SupportConversation.player_id == player.id,
            SupportConversation.status != ConversationStatus.CLOSED,
        )
        .order_by(SupportConversation.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if conversation is None:
        conversation = SupportConversation(
            id=uuid.uuid4(), brand=brand, player_id=player.id, status=ConversationStatus.WAITING
        )
        uow.session.add(conversation)
        await uow.flush()
    return conversation, await _post(uow, conversation, player, text)


async def _staff_conversation(
    uow: UnitOfWork, brand: str, conversation_id: uuid.UUID | None
) -> SupportConversation:
    conversation = (
        await uow.session.scalar(
            select(SupportConversation)
            .where(SupportConversation.id == conversation_id, SupportConversation.brand == brand)
            .with_for_update()
        )
        if conversation_id is not None
        else None
    )
    if conversation is None:
        raise ConversationNotFound(field="conversationId")
    return conversation


async def take(
    uow: UnitOfWork, actor: Principal | None, brand: str, conversation_id: uuid.UUID | None
) -> SupportConversation:
    """An agent takes a conversation of the queue (another agent's too: a hand-over).
    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, ConversationNotFound,
    ConversationClosed."""
    agent = require_permission(actor, Permission.SUPPORT_CHAT, brand)
    conversation = await _staff_conversation(uow, brand, conversation_id)
    if conversation.status == ConversationStatus.CLOSED:
        raise ConversationClosed(field="conversationId")
    if conversation.agent_id != agent.id or conversation.status != ConversationStatus.TAKEN:
        conversation.status = ConversationStatus.TAKEN
        conversation.agent_id = agent.id
        await uow.flush()
        await _changed(uow, conversation, None)
    return conversation


async def agent_replies(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    conversation_id: uuid.UUID | None,
    body: str,
    *,
    origin: str = "",
) -> SupportMessage:
    """An agent replies; a conversation still waiting becomes theirs. The first reply
    after the player wrote reaches their inbox, and their e-mail when they are not
    following the chat (linking to `origin`/support, the brand site). Errors: as `take`,
    and InvalidChatMessage."""
    text = _text(body)
    conversation = await take(uow, actor, brand, conversation_id)
    assert actor is not None
    previous = await uow.session.scalar(
        select(SupportMessage.author_kind)
        .where(SupportMessage.conversation_id == conversation.id)
        .order_by(SupportMessage.created_at.desc(), SupportMessage.id.desc())
        .limit(1)
    )
    message = await _post(uow, conversation, actor, text)
    if previous != "staff":
        await _reply_notice(uow, conversation, text, origin)
    return message


async def _reply_notice(
    uow: UnitOfWork, conversation: SupportConversation, reply: str, origin: str
) -> None:
    """The first reply after the player wrote puts one notice in their inbox (a burst of
    replies is one notice), so a player who has left the chat learns of it; a player not
    following the chat gets the reply by e-mail too."""
    player = await uow.session.get(Player, conversation.player_id)
    assert player is not None
    words = translations(get_settings().themes_dir, player.brand, player.locale.split("_")[0])
    await inbox.deliver_notice(
        uow, player, kind="support_reply", subject=words.gettext(_REPLY_NOTICE_SUBJECT),
        body=words.gettext(_REPLY_NOTICE_BODY),
    )  # fmt: skip
    if not await is_present(uow, player.id):
        await notices.queue_support_reply(uow, player, reply=reply, link=f"{origin}/support")


async def keep_present(
    uow: UnitOfWork, actor: Principal | None, brand: str, *, present: bool
) -> None:
    """The signed-in player's live chat connection is open (renew the lease) or has
    closed (end it: another open connection renews it again within PRESENCE_RENEW_S).
    Errors: NotAuthenticated, TwoFactorRequired."""
    player = require_player(actor, withdraw_only_allowed=True)
    now = clock.now()
    until = now + PRESENCE_LEASE if present else now
    await uow.session.execute(
        insert(SupportPresence)
        .values(player_id=player.id, brand=brand, present_until=until)
        .on_conflict_do_update(index_elements=["player_id"], set_={"present_until": until})
    )


async def is_present(uow: UnitOfWork, player_id: uuid.UUID) -> bool:
    """Whether the player follows their support chat live now."""
    until = await uow.session.scalar(
        select(SupportPresence.present_until).where(SupportPresence.player_id == player_id)
    )
    return until is not None and until > clock.now()


async def close(
    uow: UnitOfWork, actor: Principal | None, brand: str, conversation_id: uuid.UUID | None
) -> SupportConversation:
    """An agent closes a conversation (the player's next message opens a new one).
    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, ConversationNotFound."""
    require_permission(actor, Permission.SUPPORT_CHAT, brand)
    conversation = await _staff_conversation(uow, brand, conversation_id)
    if conversation.status != ConversationStatus.CLOSED:
        conversation.status = ConversationStatus.CLOSED
        await uow.flush()
        await _changed(uow, conversation, None)
    return conversation


async def queue(
    uow: UnitOfWork, actor: Principal | None, brand: str, limit: int
) -> list[tuple[SupportConversation, Player]]:
    """The brand's open conversations with their players, waiting ones first, then by
    last message (staff with support.chat). Errors: PermissionDenied, NotAuthenticated."""
    require_permission(actor, Permission.SUPPORT_CHAT, brand)
    waiting_first = SupportConversation.status != ConversationStatus.WAITING
    rows = await uow.session.execute(
        select(SupportConversation, Player)
        .join(Player, Player.id == SupportConversation.player_id)
        .where(
            SupportConversation.brand == brand,
            SupportConversation.status != ConversationStatus.CLOSED,
        )
        .order_by(waiting_first, SupportConversation.last_message_at, SupportConversation.id)
        .limit(max(1, min(limit, QUEUE_LIMIT_MAX)))
    )
    return [(conversation, player) for conversation, player in rows.all()]


async def own_conversation(
    uow: UnitOfWork, actor: Principal | None, brand: str
) -> SupportConversation | None:
    """The signed-in player's latest conversation on this brand (open or not), or None."""
    player = require_player(actor, withdraw_only_allowed=True)
    found: SupportConversation | None = await uow.session.scalar(
        select(SupportConversation)
        .where(SupportConversation.brand == brand, SupportConversation.player_id == player.id)
        .order_by(SupportConversation.created_at.desc())
        .limit(1)
    )
    return found


async def staff_conversation(
    uow: UnitOfWork, actor: Principal | None, brand: str, conversation_id: uuid.UUID | None
) -> tuple[SupportConversation, Player]:
    """One conversation of the brand and its player, for an agent. Errors:
    PermissionDenied, ConversationNotFound."""
    require_permission(actor, Permission.SUPPORT_CHAT, brand)
    row = (
        (
            await uow.session.execute(
                select(SupportConversation, Player)
                .join(Player, Player.id == SupportConversation.player_id)
                .where(
                    SupportConversation.id == conversation_id, SupportConversation.brand == brand
                )
            )
        ).first()
        if conversation_id is not None
        else None
    )
    if row is None:
        raise ConversationNotFound(field="id")
    conversation, player = row
    return conversation, player


async def transcripts(
    uow: UnitOfWork, brand: str, conversation_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SupportMessage]]:
    """Each conversation's messages, oldest first, in one statement (the caller checked
    who may read them)."""
    rows = await uow.session.scalars(
        select(SupportMessage)
        .where(SupportMessage.brand == brand, SupportMessage.conversation_id.in_(conversation_ids))
        .order_by(SupportMessage.created_at, SupportMessage.id)
    )
    found: dict[uuid.UUID, list[SupportMessage]] = {key: [] for key in conversation_ids}
    for message in rows:
        if len(found[message.conversation_id]) < TRANSCRIPT_LIMIT_MAX:
            found[message.conversation_id].append(message)
    return found
