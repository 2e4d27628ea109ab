"""Net gaming loss by player over a period, read from the ledger: every stake, win, refund
and payout posts against the brand's house `wagers` account, so a player's net loss is the
negated sum of their wallet entries in the transactions of that account's entries in the
window (served by the (account_id, created_at) index of ledger_entries).

A free bet's stake is the house's money, not the player's: entries on the sportsbook
free-bet wallet (its stake, and its refund when void) are no loss; what a free bet wins to
cash is a win like any other."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text

from domain.kernel.db import UnitOfWork
from domain.wallets.models import HouseAccountKind, WalletKind

_NET_LOSSES = text("""
SELECT a.player_id, (-sum(e.amount))::bigint AS net_loss
  FROM ledger_accounts h
  JOIN ledger_entries he ON he.account_id = h.id
       AND he.created_at >= :start AND he.created_at < :end
  JOIN ledger_entries e ON e.transaction_id = he.transaction_id AND e.account_id <> h.id
  JOIN ledger_accounts a ON a.id = e.account_id AND a.player_id IS NOT NULL
       AND a.kind <> :free_bet
 WHERE h.brand = :brand AND h.player_id IS NULL AND h.kind = :house AND h.currency = :currency
 GROUP BY a.player_id
HAVING -sum(e.amount) > 0
 ORDER BY a.player_id
""")


async def net_losses(
    uow: UnitOfWork, brand: str, currency: str, start: datetime, end: datetime
) -> dict[uuid.UUID, int]:
    """Each player's net loss (> 0 only) in `currency` on `brand` over [start, end)."""
    rows = await uow.session.execute(
        _NET_LOSSES,
        {
            "brand": brand,
            "currency": currency,
            "house": HouseAccountKind.WAGERS.value,
            "free_bet": WalletKind.SPORTSBOOK_FREE_BET.value,
            "start": start,
            "end": end,
        },
    )
    return {player: int(loss) for player, loss in rows}
