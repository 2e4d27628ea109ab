from schema.bonuses.mutations import BonusesMutation
from schema.bonuses.queries import BonusesQuery

__all__ = ["BonusesMutation", "BonusesQuery"]
