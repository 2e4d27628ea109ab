from schema.messaging.mutations import MessagingMutation
from schema.messaging.subscriptions import MessagingSubscription

__all__ = ["MessagingMutation", "MessagingSubscription"]
