"""Set-based money movements for settlement: many payouts, or many reversals, in one call.

Each movement is still one balanced transaction under its own idempotency key, with the
semantics of a single posting. `stakehouse_post_many` (set-based since migration 0012)
claims every key, writes every transaction and entry and moves each wallet once for the
whole chunk; `stakehouse_reverse_many` (migration 0007) still loops `stakehouse_post` per
reversal. Either way a chunk of 500 bets is one round trip, not 500. Payouts are split back
in the proportion the stake was paid (`stakes.split_win`); reversals negate the entries of
the transaction they reverse, so nothing is ever deleted."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

from domain.kernel.db import UnitOfWork
from domain.wallets.ledger import IdempotencyScope, Leg, check_key, domain_error, request_hash
from domain.wallets.models import HouseAccountKind, LedgerAccount, WalletKind
from domain.wallets.service import AMOUNT_MAX_MINOR, house_account_id, wallet_id
from domain.wallets.stakes import split_win

# Bounds one call's work (and its locks): callers chunk above this.
BATCH_MAX = 1000

_POST_MANY = text("SELECT stakehouse_post_many(:scope, :kind, :items)").bindparams(
    bindparam("items", type_=JSONB)
)
_REVERSE_MANY = text("SELECT stakehouse_reverse_many(:scope, :kind, :items)").bindparams(
    bindparam("items", type_=JSONB)
)


@dataclass(frozen=True)
class Payout:
    brand: str
    player_id: uuid.UUID
    currency: str
    amount_minor: int
    # How the stake was paid, by wallet: the payout goes back in this proportion.
    stake_split: Mapping[WalletKind, int]
    key: str
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reversal:
    brand: str
    transaction_id: int
    key: str


@dataclass(frozen=True)
class ReversalResult:
    # Reversal transaction id by key.
    posted: Mapping[str, int]
    # Keys whose reversal the player's wallets could not cover: nothing moved for them.
    short: frozenset[str]


async def pay_many(
    uow: UnitOfWork,
    payouts: Sequence[Payout],
    *,
    scope: IdempotencyScope,
    kind: str,
    counter: HouseAccountKind = HouseAccountKind.WAGERS,
) -> dict[str, int]:
    """Credit every payout from the brand's `counter` account, each as its own transaction
    under its key (a replayed key moves nothing and returns the original transaction).
    Returns the ledger transaction id by key. Errors: IdempotencyConflict (a key reused for
    another payout; aborts the caller's transaction)."""
    if not payouts:
        return {}
    assert len(payouts) <= BATCH_MAX, "callers chunk payouts"
    assert len({payout.key for payout in payouts}) == len(payouts), "one payout per key"
    accounts = await _wallet_accounts(uow, payouts)
    counters: dict[tuple[str, str], int] = {}
    ordered: list[tuple[tuple[int, str], dict[str, Any]]] = []
    for payout in payouts:
        assert type(payout.amount_minor) is int
        assert 0 < payout.amount_minor <= AMOUNT_MAX_MINOR
        check_key(scope, payout.key)
        counter_key = (payout.brand, payout.currency)
        if counter_key not in counters:
            counters[counter_key] = await house_account_id(
                uow, payout.brand, counter, payout.currency
            )
        legs = [Leg(counters[counter_key], -payout.amount_minor)]
        for wallet, share in split_win(payout.amount_minor, payout.stake_split).items():
            account = accounts.get((payout.player_id, wallet, payout.currency))
            if account is None:
                account = await wallet_id(
                    uow, payout.brand, payout.player_id, wallet, payout.currency
                )
            legs.append(Leg(account, share))
        metadata = dict(payout.metadata)
        # Wallets are locked item by item: one global order (the first wallet id) keeps
        # concurrent chunks paying the same players from deadlocking.
        first_wallet = min(leg.account_id for leg in legs[1:])
        item = {
            "brand": payout.brand,
            "key": payout.key,
            "request_hash": request_hash(kind, legs, metadata).hex(),
            "metadata": metadata,
            "accounts": [leg.account_id for leg in legs],
            "amounts": [leg.amount_minor for leg in legs],
        }
        ordered.append(((first_wallet, payout.key), item))
    items = [item for _order, item in sorted(ordered, key=lambda pair: pair[0])]
    try:
        raw = await uow.session.scalar(
            _POST_MANY, {"scope": str(scope), "kind": kind, "items": items}
        )
    except DBAPIError as error:
        raise domain_error(error) from None
    result: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(raw)
    return {key: int(transaction) for key, transaction in result.items()}


async def reverse_many(
    uow: UnitOfWork, reversals: Sequence[Reversal], *, scope: IdempotencyScope, kind: str
) -> ReversalResult:
    """Post the exact opposite of each transaction, each under its key. One the player's
    wallets can no longer cover is skipped (reported in `short`, nothing moved for it)."""
    if not reversals:
        return ReversalResult({}, frozenset())
    assert len(reversals) <= BATCH_MAX, "callers chunk reversals"
    for reversal in reversals:
        check_key(scope, reversal.key)
    items = [
        {"brand": r.brand, "key": r.key, "transaction_id": r.transaction_id} for r in reversals
    ]
    raw = await uow.session.scalar(
        _REVERSE_MANY, {"scope": str(scope), "kind": kind, "items": items}
    )
    result: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(raw)
    return ReversalResult(
        {key: int(transaction) for key, transaction in result["posted"].items()},
        frozenset(result["short"]),
    )


async def _wallet_accounts(
    uow: UnitOfWork, payouts: Sequence[Payout]
) -> dict[tuple[uuid.UUID, WalletKind, str], int]:
    """The wallets of every player paid, in one read."""
    players = list({payout.player_id for payout in payouts})
    rows = await uow.session.execute(
        select(
            LedgerAccount.id, LedgerAccount.player_id, LedgerAccount.kind, LedgerAccount.currency
        ).where(LedgerAccount.player_id.in_(players), LedgerAccount.tracks_balance)
    )
    found: dict[tuple[uuid.UUID, WalletKind, str], int] = {}
    for account, player, kind, currency in rows:
        assert player is not None
        found[(player, WalletKind(kind), currency)] = account
    return found
