"""Wallets: opening a player's balances, moving money between a wallet and a house
account, reading balances. Every movement goes through `ledger.post`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert

from domain.kernel.db import UnitOfWork
from domain.wallets.errors import InvalidAmount
from domain.wallets.ledger import IdempotencyScope, Leg, Posting, post
from domain.wallets.models import HouseAccountKind, LedgerAccount, WalletKind

AMOUNT_MAX_MINOR = 10**15  # far above any real movement; bounds what a typo can do


@dataclass(frozen=True)
class Balance:
    kind: WalletKind
    currency: str
    amount_minor: int


async def open_wallets(uow: UnitOfWork, brand: str, player_id: uuid.UUID, currency: str) -> None:
    """Create every wallet a player has, in their currency (idempotent)."""
    await uow.session.execute(
        insert(LedgerAccount)
        .values(
            [
                {
                    "brand": brand,
                    "player_id": player_id,
                    "kind": kind.value,
                    "currency": currency,
                    "balance": 0,
                    "tracks_balance": True,
                }
                for kind in WalletKind
            ]
        )
        .on_conflict_do_nothing()
    )


async def wallet_id(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, kind: WalletKind, currency: str
) -> int:
    account = await uow.session.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.brand == brand,
            LedgerAccount.player_id == player_id,
            LedgerAccount.kind == kind.value,
            LedgerAccount.currency == currency,
        )
    )
    if account is None:
        await open_wallets(uow, brand, player_id, currency)
        return await wallet_id(uow, brand, player_id, kind, currency)
    return account


async def house_account_id(
    uow: UnitOfWork, brand: str, kind: HouseAccountKind, currency: str
) -> int:
    """The brand's house account of `kind` in `currency`, created on first use."""
    found = await uow.session.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.brand == brand,
            LedgerAccount.player_id.is_(None),
            LedgerAccount.kind == kind.value,
            LedgerAccount.currency == currency,
        )
    )
    if found is not None:
        return found
    await uow.session.execute(
        insert(LedgerAccount)
        .values(
            brand=brand,
            player_id=None,
            kind=kind.value,
            currency=currency,
            balance=0,
            tracks_balance=False,
        )
        .on_conflict_do_nothing()
    )
    return await house_account_id(uow, brand, kind, currency)


async def wallet_and_house_ids(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    *,
    wallet: WalletKind,
    house: HouseAccountKind,
    currency: str,
) -> tuple[int | None, int]:
    """The player's `wallet` (None if the player has none in `currency`) and the brand's
    `house` account (created on first use), found in one statement: a hot path reads both."""
    rows = await uow.session.execute(
        select(LedgerAccount.id, LedgerAccount.player_id).where(
            LedgerAccount.brand == brand,
            LedgerAccount.currency == currency,
            or_(
                and_(LedgerAccount.player_id == player_id, LedgerAccount.kind == wallet.value),
                and_(LedgerAccount.player_id.is_(None), LedgerAccount.kind == house.value),
            ),
        )
    )
    found = {owner: account for account, owner in rows}
    house_id = found.get(None) or await house_account_id(uow, brand, house, currency)
    return found.get(player_id), house_id


def _checked(amount_minor: int) -> int:
    if type(amount_minor) is not int or not 0 < amount_minor <= AMOUNT_MAX_MINOR:
        raise InvalidAmount(field="amount")
    return amount_minor


async def transfer(
    uow: UnitOfWork,
    *,
    brand: str,
    kind: str,
    source: int,
    destination: int,
    amount_minor: int,
    scope: IdempotencyScope | None,
    key: str | None,
    metadata: dict[str, object] | None = None,
) -> Posting:
    """Move `amount_minor` from one account to another (same currency) as one transaction.
    Errors: InvalidAmount, InsufficientFunds, IdempotencyConflict."""
    amount = _checked(amount_minor)
    legs = [Leg(source, -amount), Leg(destination, amount)]
    return await post(
        uow, brand=brand, kind=kind, legs=legs, scope=scope, key=key, metadata=metadata
    )


async def balances(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> list[Balance]:
    rows = await uow.session.execute(
        select(LedgerAccount.kind, LedgerAccount.currency, LedgerAccount.balance)
        .where(LedgerAccount.brand == brand, LedgerAccount.player_id == player_id)
        .order_by(LedgerAccount.id)
    )
    return [Balance(WalletKind(kind), currency, balance) for kind, currency, balance in rows]
