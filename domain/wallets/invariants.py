"""The ledger's invariants, checked by tests after every step and by a periodic job.

- every transaction's entries sum to zero per currency;
- each player wallet's cached balance equals the sum of its entries;
- no player wallet is negative;
- at most one transaction per idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from domain.kernel.db import UnitOfWork

# Each query returns the ids that break one invariant (bounded: an audit reports, it does
# not dump the ledger).
_CHECKS = {
    "unbalanced_transactions": """
        SELECT transaction_id FROM ledger_entries
        GROUP BY transaction_id, currency HAVING sum(amount) <> 0 LIMIT 100""",
    "balance_mismatches": """
        SELECT a.id FROM ledger_accounts a
        LEFT JOIN (
            SELECT account_id, sum(amount) AS total FROM ledger_entries GROUP BY account_id
        ) e ON e.account_id = a.id
        WHERE a.tracks_balance AND a.balance <> coalesce(e.total, 0) LIMIT 100""",
    "negative_balances": """
        SELECT id FROM ledger_accounts WHERE tracks_balance AND balance < 0 LIMIT 100""",
    "duplicate_keys": """
        SELECT min(id) FROM ledger_transactions WHERE idempotency_key IS NOT NULL
        GROUP BY brand, idempotency_scope, idempotency_key HAVING count(*) > 1 LIMIT 100""",
}


@dataclass(frozen=True)
class InvariantReport:
    violations: dict[str, list[int]]

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


async def check(uow: UnitOfWork) -> InvariantReport:
    violations = {}
    for name, query in _CHECKS.items():
        violations[name] = [int(row[0]) for row in await uow.session.execute(text(query))]
    return InvariantReport(violations)
