"""The ledger's one entry point: post a balanced transaction under an idempotency key.

One call of the SQL function `stakehouse_post` (domain/wallets/sql/stakehouse_post.sql and
stakehouse_apply.sql) per movement: it claims the key, checks the legs, moves player
balances with conditional updates in a fixed lock order and writes the entries with the
transaction's digest (tamper evidence, domain/wallets/integrity.py), in the caller's
transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, BYTEA, JSONB
from sqlalchemy.exc import DBAPIError

from domain.kernel.db import UnitOfWork
from domain.wallets.errors import IdempotencyConflict, InsufficientFunds, InvalidIdempotencyKey

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
LEGS_MAX = 64

_POST = text(
    "SELECT stakehouse_post(:brand, :scope, :key, :request_hash, :kind, :metadata, "
    ":accounts, :amounts)"
).bindparams(
    bindparam("request_hash", type_=BYTEA),
    bindparam("metadata", type_=JSONB),
    bindparam("accounts", type_=ARRAY(BIGINT)),
    bindparam("amounts", type_=ARRAY(BIGINT)),
)


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount_minor: int


@dataclass(frozen=True)
class IdempotencyScope:
    """Whose key it is and for which operation: keys of different scopes never collide."""

    principal: str
    operation: str

    def __str__(self) -> str:
        return f"{self.principal}/{self.operation}"


@dataclass(frozen=True)
class Posting:
    transaction_id: int
    # Balance after the transaction of each player wallet it moved, by account id.
    balances_minor: Mapping[int, int] = field(default_factory=dict)
    # True when this call replayed an earlier one with the same key and request.
    replayed: bool = False
    # The transaction's metadata as stored (for a stake, with its `split` by wallet kind).
    metadata: Mapping[str, Any] = field(default_factory=dict)


def request_hash(kind: str, legs: Sequence[Leg], metadata: Mapping[str, Any]) -> bytes:
    canonical = json.dumps(
        {
            "kind": kind,
            "legs": sorted((leg.account_id, leg.amount_minor) for leg in legs),
            "metadata": metadata,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).digest()


def _assert_well_formed(legs: Sequence[Leg]) -> None:
    # Programmer errors, not user input: services build legs from validated amounts. That
    # legs balance per currency is checked in SQL, where the accounts' currencies are.
    assert 2 <= len(legs) <= LEGS_MAX, "a transaction has 2 to 64 legs"
    assert all(type(leg.amount_minor) is int for leg in legs), "amounts are int minor units"


async def post(
    uow: UnitOfWork,
    *,
    brand: str,
    kind: str,
    legs: Sequence[Leg],
    scope: IdempotencyScope | None,
    key: str | None,
    metadata: Mapping[str, Any] | None = None,
) -> Posting:
    """Post one balanced transaction. With a key, a replay of the same request returns the
    original Posting (`replayed=True`) and moves nothing.

    Errors: InsufficientFunds (a player wallet would go negative), IdempotencyConflict (the
    key was used with other parameters), InvalidIdempotencyKey. Either aborts the caller's
    transaction: roll back, nothing moved.
    """
    _assert_well_formed(legs)
    check_key(scope, key)
    details = dict(metadata or {})
    return await call(
        uow,
        _POST,
        {
            "brand": brand,
            "scope": str(scope) if scope else None,
            "key": key,
            "request_hash": request_hash(kind, legs, details),
            "kind": kind,
            "metadata": details,
            "accounts": [leg.account_id for leg in legs],
            "amounts": [leg.amount_minor for leg in legs],
        },
    )


async def recorded(
    uow: UnitOfWork, brand: str, scope: IdempotencyScope, key: str
) -> Posting | None:
    """The posting an earlier call made under this key (None: the key is unused), as a
    replay returns it: for a caller whose replay must answer from what was recorded
    rather than from values that may have changed since (a rate, a balance)."""
    found = await uow.session.scalar(
        text(
            "SELECT result FROM idempotency_keys"
            " WHERE brand = :brand AND scope = :scope AND key = :key"
        ),
        {"brand": brand, "scope": str(scope), "key": key},
    )
    if found is None:
        return None
    result: dict[str, Any] = found if isinstance(found, dict) else json.loads(found)
    return Posting(
        transaction_id=int(result["transaction_id"]),
        replayed=True,
        metadata=result.get("metadata") or {},
    )


def check_key(scope: IdempotencyScope | None, key: str | None) -> None:
    if key is not None and (scope is None or not KEY_PATTERN.match(key)):
        raise InvalidIdempotencyKey(field="idempotencyKey")


async def call(uow: UnitOfWork, statement: TextClause, params: Mapping[str, Any]) -> Posting:
    """Run one of the ledger's SQL functions and read its result (for this package only)."""
    try:
        raw = await uow.session.scalar(statement, params)
    except DBAPIError as error:
        raise domain_error(error) from None
    result: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(raw)
    return Posting(
        transaction_id=int(result["transaction_id"]),
        balances_minor={
            int(account): int(balance) for account, balance in result["balances"].items()
        },
        replayed=bool(result["replayed"]),
        metadata=result.get("metadata") or {},
    )


def _sqlstate(error: DBAPIError) -> str | None:
    original = error.orig
    return getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)


def domain_error(error: DBAPIError) -> Exception:
    """The typed error for a ledger function's SQLSTATE (for this package only)."""
    state = _sqlstate(error)
    if state == "SH402":
        detail = getattr(getattr(error.orig, "__cause__", None), "detail", None)
        balance = json.loads(detail)["balance"] if detail else None
        return InsufficientFunds(balance)
    if state == "SH409":
        return IdempotencyConflict(field="idempotencyKey")
    # SH404 / SH422 are programming errors (legs built wrong): let them surface as such.
    return error
