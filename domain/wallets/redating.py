"""Moving ledger transactions back in time, for generated demo history only.

The application role cannot do this (it may not UPDATE ledger rows): only the owner role,
which `stakehouse seed --demo --history-weeks` and `dev` hold, on a database whose history
is being generated (domain/affiliates/demo_history.py). Each transaction's tamper-evidence
digest covers its time, so it is recomputed from the same rows the verifier reads
(domain/wallets/integrity.py): the moved history still verifies. Never run it on real
money: it rewrites what the ledger says happened.
"""

from __future__ import annotations

from sqlalchemy import text

from domain.kernel.db import UnitOfWork

_REDATE = text(
    """
    UPDATE ledger_transactions t
       SET created_at = t.created_at - make_interval(days => :days),
           digest = stakehouse_ledger_digest(t.id, t.brand, t.kind, t.idempotency_scope,
                        t.idempotency_key, t.metadata, t.created_at - make_interval(days => :days),
                        l.accounts, l.amounts)
      FROM (SELECT s.transaction_id, array_agg(s.account_id ORDER BY s.account_id) AS accounts,
                   array_agg(s.amount ORDER BY s.account_id) AS amounts
              FROM (SELECT transaction_id, account_id, sum(amount)::bigint AS amount
                      FROM ledger_entries WHERE transaction_id > :after
                     GROUP BY transaction_id, account_id HAVING sum(amount) <> 0) s
             GROUP BY s.transaction_id) l
     WHERE l.transaction_id = t.id AND t.id > :after
    """
)


async def last_transaction_id(uow: UnitOfWork) -> int:
    found = await uow.session.scalar(text("SELECT coalesce(max(id), 0) FROM ledger_transactions"))
    return int(found or 0)


async def move_back(uow: UnitOfWork, *, after_id: int, days: int) -> None:
    """Date every transaction after `after_id` `days` earlier (owner role only)."""
    assert days > 0
    await uow.session.execute(_REDATE, {"after": after_id, "days": days})
