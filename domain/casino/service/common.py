"""What every wallet callback shares: the session behind a token, the balance a provider
is shown, and the answer to a transaction id that is already taken."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.brands.service import Brand
from domain.casino import repository
from domain.casino.errors import DuplicateTransaction, InvalidToken, WalletStatus, WrongCurrency
from domain.casino.protocol import WalletReply, WalletRequest
from domain.casino.repository import SessionRow, TransactionRow
from domain.casino.service.launch import token_hash
from domain.kernel.db import UnitOfWork
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import WalletKind
from domain.wallets.service import balances


def consumption_order(brand: Brand) -> tuple[WalletKind, ...]:
    return tuple(WalletKind(kind) for kind in brand.stake_consumption_order)


def ledger_scope(provider: str, operation: str) -> IdempotencyScope:
    """Ledger keys are the provider's transaction ids, scoped by provider and operation."""
    return IdempotencyScope(f"provider:{provider}", f"casino.{operation}")


async def session_for(
    uow: UnitOfWork, brand: Brand, provider: str, request: WalletRequest
) -> SessionRow:
    """The real-money session of the token, which must be the user's. Expiry is the bet's
    business: wins and rollbacks settle what was staked before it. Errors: InvalidToken,
    WrongCurrency."""
    session = await repository.find_session(uow, brand.slug, provider, token_hash(request.token))
    check_session(session, request)
    assert session is not None
    return session


def check_session(session: SessionRow | None, request: WalletRequest) -> None:
    """Errors: InvalidToken, WrongCurrency."""
    if session is None or str(session.player_id) != request.user:
        raise InvalidToken(field="token")
    if request.currency is not None and request.currency != session.currency:
        raise WrongCurrency(field="currency")


async def playable_balance(
    uow: UnitOfWork, brand: Brand, player_id: uuid.UUID, currency: str
) -> int:
    """What the provider shows: the wallets a stake may draw on, together."""
    kinds: Sequence[WalletKind] = consumption_order(brand)
    return sum(
        held.amount_minor
        for held in await balances(uow, brand.slug, player_id)
        if held.kind in kinds and held.currency == currency
    )


def replay(existing: TransactionRow, request: WalletRequest, player_id: uuid.UUID) -> WalletReply:
    """The stored answer when `request` repeats the transaction that holds its id; any
    difference (kind, player, round, game, amount, currency, reference) is a duplicate, and
    so is a bet refused in advance by a rollback (a tombstone). Errors: DuplicateTransaction."""
    same = (
        existing.kind == request.operation.value
        and existing.player_id == str(player_id)
        and existing.round_ref == request.round
        and existing.game_code == request.game_code
        and existing.amount_minor == (request.amount_minor or 0)
        and request.currency in (None, existing.currency)
        and existing.reference_transaction_uuid == request.reference_transaction_uuid
        and existing.response_status is not None
    )
    if not same:
        raise DuplicateTransaction(field="transaction_uuid")
    assert existing.response_status is not None
    return WalletReply(
        WalletStatus(existing.response_status), existing.currency, existing.balance_after_minor
    )
