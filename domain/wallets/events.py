"""Ledger events. `wallets.balance_changed` is written by the posting function itself (one
round trip per movement), with payload:

    {"transaction_id": int, "kind": str,
     "changes": [{"player_id": str, "wallet": str, "currency": str,
                  "balance_minor": int, "delta_minor": int}, ...],
     "occurred_at": str}   (ISO 8601: the transaction's timestamp, absent from events
                            written before it was added)
"""

from __future__ import annotations

BALANCE_CHANGED = "wallets.balance_changed"
