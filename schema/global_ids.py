"""Opaque global ids for the objects the API names without being `Node`s (yet).

Every id the API exposes is an opaque global id (DESIGN.md section 4): base64 of
"<type>:<key>", as relay's `Node` builds it, so a client can neither count rows from a
sequential key nor build ids it was not given, and an object that later becomes a `Node`
keeps its id. Build `ID` values here, never from a raw key: a test holds schema/ to it.
"""

from __future__ import annotations

import strawberry
from strawberry.relay.utils import to_base64

# The type part of a ledger transaction's id (ledger transactions are not a GraphQL type:
# the movements that share one carry it).
LEDGER_TRANSACTION = "LedgerTransaction"


def global_id(type_name: str, key: object) -> strawberry.ID:
    return strawberry.ID(to_base64(type_name, key))


def ledger_transaction_id(transaction_id: int | str) -> strawberry.ID:
    return global_id(LEDGER_TRANSACTION, transaction_id)
