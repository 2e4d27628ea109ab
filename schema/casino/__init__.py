from schema.casino.mutations import CasinoMutation
from schema.casino.queries import CasinoQuery

__all__ = ["CasinoMutation", "CasinoQuery"]
