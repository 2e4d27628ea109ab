"""What the sportsbook tells the bonus engine about a stake that counted toward a bonus's
wagering, in the stake's transaction: its combined odds and the player's open bets on the
other outcomes of its markets (both sides of a market wager bonus money at next to no
risk). The bonus engine decides what to flag (domain/bonuses/abuse.py)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from domain.bonuses import abuse
from domain.kernel.db import UnitOfWork

# Driven by the player's bets (ix_sportsbook_bets_player_id_id), not by the market's legs:
# a popular market has many legs, a player few open bets.
_OPPOSITE = text("""
SELECT DISTINCT b.id
  FROM sportsbook_bets b
  JOIN sportsbook_bet_legs other ON other.bet_id = b.id
  JOIN sportsbook_bet_legs mine
    ON mine.bet_id = :bet AND mine.market_id = other.market_id
   AND mine.outcome_id <> other.outcome_id
 WHERE b.player_id = :player AND b.id <> :bet AND b.status IN ('open', 'pending')
 ORDER BY b.id
""")


async def stake_counted(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    bet_id: int,
    *,
    odds: Sequence[Decimal],
    bonus: dict[str, Any],
) -> int:
    """The accepted bet's stake counted toward the grant in `bonus` (the stake call's
    answer): pass its facts on. Returns how many flags are new."""
    if int(bonus.get("counted", 0)) <= 0:
        return 0
    opposite = [
        int(found)
        for found in await uow.session.scalars(_OPPOSITE, {"bet": bet_id, "player": player_id})
    ]
    return await abuse.check_sportsbook_wager(
        uow, brand, player_id, uuid.UUID(str(bonus["grant"])), bet_id=bet_id,
        odds=math.prod(odds, start=Decimal(1)), opposite_bet_ids=opposite,
    )  # fmt: skip
