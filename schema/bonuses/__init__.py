from schema.bonuses.mutations import BonusesMutation
from schema.bonuses.queries import BonusesQuery
from schema.bonuses.subscriptions import BonusesSubscription

__all__ = ["BonusesMutation", "BonusesQuery", "BonusesSubscription"]
