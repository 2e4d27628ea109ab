"""The player's inbox: mark a message read, delete it."""

from __future__ import annotations

import strawberry

from domain.accounts.errors import TwoFactorRequired
from domain.messaging.errors import InboxMessageNotFound
from resolvers.messaging import inbox
from schema.accounts.types import InboxMessage
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import uuid_of_text


@mutation_error(TwoFactorRequired, InboxMessageNotFound)
class MarkInboxMessageReadError(MutationError): ...


@mutation_error(TwoFactorRequired, InboxMessageNotFound)
class DeleteInboxMessageError(MutationError): ...


@strawberry.input
class InboxMessageInput:
    message_id: strawberry.ID = strawberry.field(description="An `InboxMessage.id`.")


@strawberry.type
class MarkInboxMessageReadPayload:
    message: InboxMessage | None = None
    errors: list[MarkInboxMessageReadError]


@strawberry.type
class DeleteInboxMessagePayload:
    deleted: bool = False
    errors: list[DeleteInboxMessageError]


@strawberry.type
class MessagingMutation:
    @strawberry.mutation(description="Player: mark one of your inbox messages read.")
    async def mark_inbox_message_read(
        self, info: Info, input: InboxMessageInput
    ) -> MarkInboxMessageReadPayload:
        outcome = await inbox.mark_read(
            info.context, uuid_of_text(str(input.message_id), "InboxMessage")
        )
        return MarkInboxMessageReadPayload(
            message=InboxMessage.from_model(outcome.value) if outcome.value else None,
            errors=to_errors(MarkInboxMessageReadError, outcome.errors),
        )

    @strawberry.mutation(description="Player: delete one of your inbox messages.")
    async def delete_inbox_message(
        self, info: Info, input: InboxMessageInput
    ) -> DeleteInboxMessagePayload:
        outcome = await inbox.delete(
            info.context, uuid_of_text(str(input.message_id), "InboxMessage")
        )
        return DeleteInboxMessagePayload(
            deleted=outcome.ok, errors=to_errors(DeleteInboxMessageError, outcome.errors)
        )
