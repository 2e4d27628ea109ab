from schema.sportsbook.mutations import SportsbookMutation
from schema.sportsbook.queries import SportsbookQuery
from schema.sportsbook.subscriptions import SportsbookSubscription

__all__ = ["SportsbookMutation", "SportsbookQuery", "SportsbookSubscription"]
