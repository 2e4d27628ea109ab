"""Moving ledger transactions back in time, for generated demo history only.

The application role cannot do this (it may not UPDATE ledger rows): only the owner role,
which `stakehouse seed --demo --history-weeks` and `dev` hold, on a database whose history
is being generated (domain/affiliates/demo_history.py). Each transaction's tamper-evidence
digest covers its time, so it is recomputed from the same rows the verifier reads
(domain/wallets/integrity.py): the moved history still verifies. Never run it on real
money: it rewrites what the ledger says happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text

from domain.kernel.db import UnitOfWork

_REDATE = text(
    """
    UPDATE ledger_transactions t
       SET created_at = t.created_at - make_interval(days => :days),
           digest = stakehouse_ledger_digest(t.id, t.brand, t.kind, t.idempotency_scope,
                        t.idempotency_key, t.metadata, t.created_at - make_interval(days => :days),
                        l.accounts, l.amounts)
      FROM ledger_transactions m
      LEFT JOIN LATERAL (
        SELECT array_agg(s.account_id ORDER BY s.account_id) AS accounts,
               array_agg(s.amount ORDER BY s.account_id) AS amounts
          FROM (SELECT e.account_id, sum(e.amount)::bigint AS amount
                  FROM ledger_entries e WHERE e.transaction_id = m.id
                 GROUP BY e.account_id HAVING sum(e.amount) <> 0) AS s
      ) AS l ON true
     WHERE m.id = t.id AND t.id = ANY(:ids)
    """
)

# The transactions after a watermark that moved money of the given players.
_MOVED_FOR = text(
    """
    SELECT DISTINCT e.transaction_id
      FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
     WHERE e.transaction_id > :after AND a.player_id = ANY(:players)
     ORDER BY e.transaction_id
    """
)


async def last_transaction_id(uow: UnitOfWork) -> int:
    found = await uow.session.scalar(text("SELECT coalesce(max(id), 0) FROM ledger_transactions"))
    return int(found or 0)


async def moved_for(uow: UnitOfWork, *, after_id: int, players: Sequence[uuid.UUID]) -> list[int]:
    """Ids of the transactions after `after_id` with an entry on an account of `players`
    (the ones a generator wrote for the players it created, and nobody else's)."""
    if not players:
        return []
    rows = await uow.session.scalars(_MOVED_FOR, {"after": after_id, "players": list(players)})
    return [int(found) for found in rows]


async def move_back(uow: UnitOfWork, *, ids: Sequence[int], days: int) -> None:
    """Date exactly the transactions `ids` `days` earlier (owner role only); the digest of
    one with no net entries is recomputed too, as the verifier reads it."""
    assert days > 0
    if ids:
        await uow.session.execute(_REDATE, {"ids": list(ids), "days": days})
