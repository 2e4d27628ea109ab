"""Support chat over GraphQL: the player writes and follows their conversation; support
staff (support.chat) see the brand's queue, take conversations, reply and close them,
with the player's context beside the transcript. Both sides follow changes live."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Self

import strawberry

from domain.accounts.errors import TwoFactorRequired
from domain.accounts.models import Player as PlayerModel
from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission, require_player
from domain.kernel.errors import PermissionDenied
from domain.messaging import chat as domain_chat
from domain.messaging.errors import ConversationClosed, ConversationNotFound, InvalidChatMessage
from domain.messaging.events import SupportConversationChanged
from domain.messaging.models import SupportConversation as ConversationModel
from domain.messaging.models import SupportMessage as MessageModel
from resolvers.messaging import chat
from schema.accounts.subscriptions import _until_interrupted
from schema.context import Info
from schema.errors import MutationError, as_query_error, mutation_error, to_errors
from schema.ids import global_id, uuid_of_text

CONVERSATION = "SupportConversation"
MESSAGE = "SupportChatMessage"
QUEUE_DEFAULT = 50


@strawberry.enum(description="Where a support conversation stands.")
class ConversationStatus(Enum):
    WAITING = "waiting"
    TAKEN = "taken"
    CLOSED = "closed"


@strawberry.type(description="One message of a support conversation.")
class SupportChatMessage:
    id: strawberry.ID
    body: str
    from_support: bool = strawberry.field(description="Written by support, not the player.")
    sent_at: datetime

    @classmethod
    def from_model(cls, message: MessageModel) -> Self:
        return cls(
            id=global_id(MESSAGE, message.id),
            body=message.body,
            from_support=message.author_kind == "staff",
            sent_at=message.created_at,
        )


@strawberry.type(description="What support sees of the player beside the chat.")
class SupportPlayerContext:
    player_id: strawberry.ID = strawberry.field(
        description="A `Player` id: its limits, wallets and transactions are staff fields."
    )
    email: str | None
    username: str | None
    status: str
    country: str
    currency: str
    kyc_tier: str
    protection_active: bool = strawberry.field(
        description="The player has a limit or a time-out (see `Player.limits`)."
    )


@strawberry.type(description="A player's support chat on this brand.")
class SupportConversation:
    id: strawberry.ID
    status: ConversationStatus
    created_at: datetime
    last_message_at: datetime
    taken_by_me: bool = False
    _key: strawberry.Private[uuid.UUID]
    _player: strawberry.Private[PlayerModel | None] = None

    @classmethod
    def from_model(
        cls, conversation: ConversationModel, player: PlayerModel | None = None, me: object = None
    ) -> Self:
        return cls(
            id=global_id(CONVERSATION, conversation.id),
            status=ConversationStatus(conversation.status),
            created_at=conversation.created_at,
            last_message_at=conversation.last_message_at,
            taken_by_me=me is not None and conversation.agent_id == me,
            _key=conversation.id,
            _player=player,
        )

    @strawberry.field(description="The transcript, oldest first.")
    async def messages(self, info: Info) -> list[SupportChatMessage]:
        rows = await chat.transcript(info.context, self._key)
        return [SupportChatMessage.from_model(row) for row in rows]

    @strawberry.field(
        description="The player beside the chat: staff (support.chat) reading the queue."
    )
    def player(self) -> SupportPlayerContext | None:
        player = self._player
        if player is None:
            return None
        return SupportPlayerContext(
            player_id=global_id("Player", player.id),
            email=player.email,
            username=player.username,
            status=player.status,
            country=player.country,
            currency=player.currency,
            kyc_tier=player.kyc_tier,
            protection_active=player.protection_active,
        )

    @strawberry.field(description="Answers an agent starts from (staff with support.chat).")
    async def canned_replies(self, info: Info) -> list[CannedReply]:
        principal = await info.context.principal()
        if self._player is None or principal is None or not principal.is_staff:
            return []
        return [CannedReply(title=title, body=body) for title, body in domain_chat.CANNED_REPLIES]


@strawberry.type
class CannedReply:
    title: str
    body: str


@strawberry.type(
    description="A support conversation changed: a message arrived, or it changed hands."
)
class SupportConversationUpdate:
    conversation_id: strawberry.ID
    status: ConversationStatus
    message: SupportChatMessage | None

    @classmethod
    def from_payload(cls, payload: dict[str, object]) -> Self:
        message = None
        if payload.get("message_id"):
            message = SupportChatMessage(
                id=global_id(MESSAGE, payload["message_id"]),
                body=str(payload["message_body"]),
                from_support=bool(payload["from_support"]),
                sent_at=datetime.fromisoformat(str(payload["sent_at"])),
            )
        return cls(
            conversation_id=global_id(CONVERSATION, payload["conversation_id"]),
            status=ConversationStatus(str(payload["status"])),
            message=message,
        )


_STAFF = (PermissionDenied, TwoFactorRequired, ConversationNotFound)


@mutation_error(TwoFactorRequired, InvalidChatMessage)
class SendSupportMessageError(MutationError): ...


@mutation_error(*_STAFF, ConversationClosed)
class TakeSupportConversationError(MutationError): ...


@mutation_error(*_STAFF, ConversationClosed, InvalidChatMessage)
class ReplyToSupportConversationError(MutationError): ...


@mutation_error(*_STAFF)
class CloseSupportConversationError(MutationError): ...


@strawberry.input
class SendSupportMessageInput:
    body: str


@strawberry.type
class SendSupportMessagePayload:
    conversation: SupportConversation | None = None
    message: SupportChatMessage | None = None
    errors: list[SendSupportMessageError]


@strawberry.input
class SupportConversationInput:
    conversation_id: strawberry.ID = strawberry.field(description="A `SupportConversation.id`.")


@strawberry.input
class ReplyToSupportConversationInput:
    conversation_id: strawberry.ID
    body: str


@strawberry.type
class TakeSupportConversationPayload:
    conversation: SupportConversation | None = None
    errors: list[TakeSupportConversationError]


@strawberry.type
class ReplyToSupportConversationPayload:
    message: SupportChatMessage | None = None
    errors: list[ReplyToSupportConversationError]


@strawberry.type
class CloseSupportConversationPayload:
    conversation: SupportConversation | None = None
    errors: list[CloseSupportConversationError]


def _conversation_key(text: str) -> uuid.UUID | None:
    return uuid_of_text(text, CONVERSATION)


@strawberry.type
class ChatQuery:
    @strawberry.field(description="The signed-in player's latest support conversation here.")
    async def my_support_conversation(self, info: Info) -> SupportConversation | None:
        with as_query_error():
            found = await chat.own_conversation(info.context)
        return SupportConversation.from_model(found) if found else None

    @strawberry.field(
        description="Staff (support.chat): the brand's open conversations, waiting ones "
        "first, each with its player's context."
    )
    async def support_queue(
        self, info: Info, first: int = QUEUE_DEFAULT
    ) -> list[SupportConversation]:
        with as_query_error():
            rows = await chat.queue(info.context, first)
        me = (await info.context.principal()).id  # type: ignore[union-attr]
        return [SupportConversation.from_model(c, player, me) for c, player in rows]

    @strawberry.field(description="Staff (support.chat): one conversation of the brand.")
    async def support_conversation(
        self, info: Info, id: strawberry.ID
    ) -> SupportConversation | None:
        with as_query_error():
            try:
                found, player = await chat.staff_conversation(info.context, _conversation_key(id))
            except ConversationNotFound:
                return None
        me = (await info.context.principal()).id  # type: ignore[union-attr]
        return SupportConversation.from_model(found, player, me)


@strawberry.type
class ChatMutation:
    @strawberry.mutation(
        description="The signed-in player writes to support (opens a conversation when "
        "none is open)."
    )
    async def send_support_message(
        self, info: Info, input: SendSupportMessageInput
    ) -> SendSupportMessagePayload:
        outcome = await chat.player_writes(info.context, input.body)
        conversation, message = outcome.value if outcome.value else (None, None)
        return SendSupportMessagePayload(
            conversation=SupportConversation.from_model(conversation) if conversation else None,
            message=SupportChatMessage.from_model(message) if message else None,
            errors=to_errors(SendSupportMessageError, outcome.errors),
        )

    @strawberry.mutation(description="Staff (support.chat): take a conversation of the queue.")
    async def take_support_conversation(
        self, info: Info, input: SupportConversationInput
    ) -> TakeSupportConversationPayload:
        outcome = await chat.take(info.context, _conversation_key(input.conversation_id))
        me = getattr(await info.context.principal(), "id", None)
        return TakeSupportConversationPayload(
            conversation=SupportConversation.from_model(outcome.value, None, me)
            if outcome.value
            else None,
            errors=to_errors(TakeSupportConversationError, outcome.errors),
        )

    @strawberry.mutation(description="Staff (support.chat): reply in a conversation.")
    async def reply_to_support_conversation(
        self, info: Info, input: ReplyToSupportConversationInput
    ) -> ReplyToSupportConversationPayload:
        outcome = await chat.reply(
            info.context, _conversation_key(input.conversation_id), input.body
        )
        return ReplyToSupportConversationPayload(
            message=SupportChatMessage.from_model(outcome.value) if outcome.value else None,
            errors=to_errors(ReplyToSupportConversationError, outcome.errors),
        )

    @strawberry.mutation(description="Staff (support.chat): close a conversation.")
    async def close_support_conversation(
        self, info: Info, input: SupportConversationInput
    ) -> CloseSupportConversationPayload:
        outcome = await chat.close(info.context, _conversation_key(input.conversation_id))
        return CloseSupportConversationPayload(
            conversation=SupportConversation.from_model(outcome.value) if outcome.value else None,
            errors=to_errors(CloseSupportConversationError, outcome.errors),
        )


@strawberry.type
class ChatSubscription:
    @strawberry.subscription(
        description="The signed-in player's support conversations as they change (support's "
        "replies), each sent after its transaction commits."
    )
    async def my_support_conversation_changed(
        self, info: Info
    ) -> AsyncGenerator[SupportConversationUpdate, None]:
        with as_query_error():
            player = require_player(await info.context.principal(), withdraw_only_allowed=True)
        mine = str(player.id)
        brand = info.context.brand.slug
        async with (
            chat.presence(info.context),
            info.context.hub.subscribe(SupportConversationChanged.topic, brand=brand) as events,
        ):
            async for event in _until_interrupted(events):
                if event.payload.get("player_id") != mine:
                    continue
                if await info.context.principal() is None:
                    return  # the session ended since the socket subscribed
                yield SupportConversationUpdate.from_payload(event.payload)

    @strawberry.subscription(
        description="Staff (support.chat): every change of the brand's support conversations "
        "(new conversations, messages, hand-overs), after commit."
    )
    async def support_queue_changed(
        self, info: Info
    ) -> AsyncGenerator[SupportConversationUpdate, None]:
        brand = info.context.brand.slug
        with as_query_error():
            require_permission(await info.context.principal(), Permission.SUPPORT_CHAT, brand)
        async with info.context.hub.subscribe(
            SupportConversationChanged.topic, brand=brand
        ) as events:
            async for event in _until_interrupted(events):
                principal = await info.context.principal()
                try:
                    require_permission(principal, Permission.SUPPORT_CHAT, brand)
                except Exception:
                    return
                yield SupportConversationUpdate.from_payload(event.payload)
