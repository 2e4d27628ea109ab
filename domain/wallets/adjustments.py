"""Manual balance adjustments by finance staff: a credit or debit of one player wallet
against the brand's house `adjustments` account, with a mandatory reason, under an
idempotency key, audited with the balance before and after.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import select

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError, ReasonRequired
from domain.wallets.errors import InvalidIdempotencyKey, UnsupportedCurrency
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import transfer, wallet_and_house_ids

TRANSACTION_KIND: Final = "adjustment"
OPERATION: Final = "wallets.adjust"
AUDIT_ACTION: Final = "wallet.adjust"
REASON_LENGTH_MAX: Final = 500
# withdrawal_pending holds money in the withdrawal flow: only approve/reject move it.
ADJUSTABLE_WALLETS: Final = frozenset(WalletKind) - {WalletKind.WITHDRAWAL_PENDING}


class Direction(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class ReasonTooLong(DomainError):
    code = "REASON_TOO_LONG"
    message = f"Keep the reason to {REASON_LENGTH_MAX} characters."


class WalletNotAdjustable(DomainError):
    code = "WALLET_NOT_ADJUSTABLE"
    message = "This wallet cannot be adjusted by hand."


@dataclass(frozen=True)
class Adjustment:
    transaction_id: int
    player_id: uuid.UUID
    wallet: WalletKind
    currency: str
    # Signed: positive for a credit.
    delta_minor: int
    # The wallet's balance right after the adjustment (for a replay: after the original).
    balance_minor: int
    replayed: bool

    @property
    def balance_before_minor(self) -> int:
        return self.balance_minor - self.delta_minor


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise ReasonRequired(field="reason")
    if len(reason) > REASON_LENGTH_MAX:
        raise ReasonTooLong(field="reason")
    if not reason.isprintable():
        # It lands in the audit log that staff read: one clean line.
        raise DomainError("Give the reason as one line of printable text.", field="reason")
    return reason


async def _accounts(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, wallet: WalletKind, currency: str
) -> tuple[int, int]:
    account, house = await wallet_and_house_ids(
        uow, brand, player_id, wallet=wallet, house=HouseAccountKind.ADJUSTMENTS, currency=currency
    )
    if account is not None:
        return account, house
    # Tell "no such player here" from "the player has no wallet in that currency".
    player = await uow.session.scalar(
        select(Player.id).where(Player.id == player_id, Player.brand == brand)
    )
    if player is None:
        raise PlayerNotFound(field="playerId")
    raise UnsupportedCurrency(field="amount")


async def adjust(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    player_id: uuid.UUID,
    *,
    wallet: WalletKind,
    direction: Direction,
    amount_minor: int,
    currency: str,
    reason: str,
    idempotency_key: str,
) -> Adjustment:
    """Credit or debit `amount_minor` (positive) of the player's `wallet` in `currency`
    against the house adjustments account; audited. A replay of the same key and request
    returns the original adjustment and changes nothing (and audits nothing).

    Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, PasswordChangeRequired
    (the actor lacks wallet.adjust), ReasonRequired, ReasonTooLong, WalletNotAdjustable,
    InvalidAmount, InvalidIdempotencyKey, PlayerNotFound, UnsupportedCurrency (no wallet in
    that currency), InsufficientFunds (a debit beyond the balance), IdempotencyConflict.
    """
    staff = require_permission(actor, Permission.WALLET_ADJUST, brand)
    clean_reason = _reason(reason)
    if wallet not in ADJUSTABLE_WALLETS:
        raise WalletNotAdjustable(field="wallet")
    if not idempotency_key:
        raise InvalidIdempotencyKey(field="idempotencyKey")
    account, house = await _accounts(uow, brand, player_id, wallet, currency)
    source, destination = (house, account) if direction is Direction.CREDIT else (account, house)
    posting = await transfer(
        uow,
        brand=brand,
        kind=TRANSACTION_KIND,
        source=source,
        destination=destination,
        amount_minor=amount_minor,
        scope=IdempotencyScope(f"staff:{staff.id}", OPERATION),
        key=idempotency_key,
        metadata={"reason": clean_reason, "staff_id": str(staff.id)},
    )
    adjustment = Adjustment(
        transaction_id=posting.transaction_id,
        player_id=player_id,
        wallet=wallet,
        currency=currency,
        delta_minor=amount_minor if direction is Direction.CREDIT else -amount_minor,
        balance_minor=posting.balances_minor[account],
        replayed=posting.replayed,
    )
    if not posting.replayed:
        await _audit(uow, staff, brand, adjustment, clean_reason)
    return adjustment


async def _audit(
    uow: UnitOfWork, staff: Principal, brand: str, adjustment: Adjustment, reason: str
) -> None:
    state = {"wallet": adjustment.wallet.value, "currency": adjustment.currency}
    await audit.record(
        uow,
        actor_kind=staff.actor_kind,
        actor_id=staff.id,
        action=AUDIT_ACTION,
        subject_type="player",
        subject_id=adjustment.player_id,
        brand=brand,
        reason=reason,
        before={**state, "balance_minor": adjustment.balance_before_minor},
        after={
            **state,
            "balance_minor": adjustment.balance_minor,
            "delta_minor": adjustment.delta_minor,
            "transaction_id": adjustment.transaction_id,
        },
    )
