"""A direct client of the ledger's `stakehouse_stake` SQL function, for the wallet tests.

The platform never stakes from Python: the casino and sportsbook placement functions call
`stakehouse_stake` inside their own SQL. The tests call it alone, to pin the consumption
order, the split and idempotency that both products rely on.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, BYTEA, JSONB

from domain.kernel.db import UnitOfWork
from domain.wallets.errors import InvalidAmount
from domain.wallets.ledger import IdempotencyScope, Leg, Posting, call, check_key, request_hash
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import AMOUNT_MAX_MINOR, house_account_id, wallet_id

# Wallets a stake may draw on; withdrawal_pending and loyalty points never fund a bet.
STAKE_WALLETS = frozenset(
    {WalletKind.CASH, WalletKind.BONUS, WalletKind.CASINO_BONUS, WalletKind.SPORTSBOOK_FREE_BET}
)
DEFAULT_ORDER = (WalletKind.CASH, WalletKind.BONUS)

_STAKE = text(
    "SELECT stakehouse_stake(:brand, :scope, :key, :request_hash, :kind, :metadata, "
    ":wallets, :counter, :amount)"
).bindparams(
    bindparam("request_hash", type_=BYTEA),
    bindparam("metadata", type_=JSONB),
    bindparam("wallets", type_=ARRAY(BIGINT)),
)


@dataclass(frozen=True)
class Stake:
    posting: Posting
    # How much each wallet paid, e.g. {cash: 300, bonus: 200}.
    split_minor: Mapping[WalletKind, int]


async def place_stake(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    currency: str,
    amount_minor: int,
    order: Sequence[WalletKind] = DEFAULT_ORDER,
    counter: HouseAccountKind = HouseAccountKind.WAGERS,
    kind: str = "stake",
    scope: IdempotencyScope | None,
    key: str | None,
    metadata: Mapping[str, Any] | None = None,
) -> Stake:
    """Debit `amount_minor` from the player's wallets in `order` (each pays what it holds
    until covered). Errors: InvalidAmount, InsufficientFunds (with the total available),
    IdempotencyConflict."""
    if type(amount_minor) is not int or not 0 < amount_minor <= AMOUNT_MAX_MINOR:
        raise InvalidAmount(field="amount")
    assert order, "a stake draws on at least one wallet"
    assert set(order) <= STAKE_WALLETS, "stakes draw on cash and bonus wallets only"
    check_key(scope, key)
    wallets = [await wallet_id(uow, brand, player_id, wallet, currency) for wallet in order]
    counter_id = await house_account_id(uow, brand, counter, currency)
    details = dict(metadata or {})
    request = {"order": [w.value for w in order], "amount": amount_minor, "counter": counter_id}
    posting = await call(
        uow,
        _STAKE,
        {
            "brand": brand,
            "scope": str(scope) if scope else None,
            "key": key,
            "request_hash": request_hash(
                kind, [Leg(w, 0) for w in wallets], {**details, **request}
            ),
            "kind": kind,
            "metadata": details,
            "wallets": wallets,
            "counter": counter_id,
            "amount": amount_minor,
        },
    )
    split = {
        WalletKind(name): int(value) for name, value in posting.metadata.get("split", {}).items()
    }
    return Stake(posting, split)
