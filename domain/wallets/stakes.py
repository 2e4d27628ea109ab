"""Wins split back in the proportion their stake was paid, so bonus money won stays bonus
money.

Stakes themselves are drawn inside the database: the casino and sportsbook placement
functions call `stakehouse_stake`, which decides the split under the wallets' row locks in
the same call that posts the transaction (tests call it through
`tests/domain/wallets/stakes_client.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from domain.kernel.db import UnitOfWork
from domain.wallets.errors import InvalidAmount
from domain.wallets.ledger import (
    IdempotencyScope,
    Leg,
    Posting,
    post,
)
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import AMOUNT_MAX_MINOR, house_account_id, wallet_id


def _amount(amount_minor: int) -> int:
    if type(amount_minor) is not int or not 0 < amount_minor <= AMOUNT_MAX_MINOR:
        raise InvalidAmount(field="amount")
    return amount_minor


def split_win(win_minor: int, stake_split: Mapping[WalletKind, int]) -> dict[WalletKind, int]:
    """Divide a win in the proportion the stake was paid. Integer shares, rounded down for
    every wallet but cash, which takes the remainder (never more than a unit per wallet)."""
    total = sum(stake_split.values())
    assert total > 0, "a win pays back a stake that was paid"
    shares: dict[WalletKind, int] = {
        wallet: win_minor * paid // total
        for wallet, paid in stake_split.items()
        if wallet is not WalletKind.CASH
    }
    shares[WalletKind.CASH] = win_minor - sum(shares.values())
    return {wallet: share for wallet, share in shares.items() if share > 0}


async def pay_win(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    currency: str,
    amount_minor: int,
    stake_split: Mapping[WalletKind, int],
    counter: HouseAccountKind = HouseAccountKind.WAGERS,
    kind: str = "win",
    scope: IdempotencyScope | None,
    key: str | None,
    metadata: Mapping[str, Any] | None = None,
) -> Posting:
    """Credit a win to the wallets that paid the stake, in the same proportion.
    Errors: InvalidAmount, IdempotencyConflict."""
    amount = _amount(amount_minor)
    counter_id = await house_account_id(uow, brand, counter, currency)
    legs = [Leg(counter_id, -amount)]
    for wallet, share in split_win(amount, stake_split).items():
        legs.append(Leg(await wallet_id(uow, brand, player_id, wallet, currency), share))
    return await post(
        uow, brand=brand, kind=kind, legs=legs, scope=scope, key=key, metadata=metadata
    )
