import strawberry

from schema.messaging.chat import ChatMutation, ChatQuery, ChatSubscription
from schema.messaging.mutations import MessagingMutation as InboxMutation
from schema.messaging.subscriptions import MessagingSubscription as InboxSubscription


@strawberry.type
class MessagingQuery(ChatQuery):
    pass


@strawberry.type
class MessagingMutation(InboxMutation, ChatMutation):
    pass


@strawberry.type
class MessagingSubscription(InboxSubscription, ChatSubscription):
    pass


__all__ = ["MessagingMutation", "MessagingQuery", "MessagingSubscription"]
