"""Wallets mutations. Each takes one `input` and returns `{ <result>, errors }`."""

from __future__ import annotations

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.kernel.errors import PermissionDenied, ReasonRequired
from domain.wallets import adjustments
from domain.wallets import errors as wallet_errors
from domain.wallets import models as wallet_models
from resolvers.wallets import adjustments as adjustment_resolvers
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import ledger_transaction_id, uuid_of
from schema.money import Money, MoneyInput
from schema.wallets.types import Wallet


@mutation_error(
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
    account_errors.PlayerNotFound,
    ReasonRequired,
    adjustments.ReasonTooLong,
    adjustments.WalletNotAdjustable,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
    wallet_errors.InsufficientFunds,
    wallet_errors.IdempotencyConflict,
    wallet_errors.InvalidIdempotencyKey,
)
class AdjustBalanceError(MutationError): ...


@strawberry.input
class AdjustBalanceInput:
    player_id: relay.GlobalID
    wallet: wallet_models.WalletKind
    direction: adjustments.Direction
    amount: MoneyInput = strawberry.field(
        description="Positive, in the wallet's currency; `direction` says which way."
    )
    reason: str = strawberry.field(
        description=f"Why (mandatory, at most {adjustments.REASON_LENGTH_MAX} characters); "
        "kept in the audit log."
    )
    idempotency_key: str = strawberry.field(
        description="1-200 printable ASCII characters. Resending the same input with the same "
        "key returns the first result and moves nothing again."
    )


@strawberry.type
class AdjustBalancePayload:
    wallet: Wallet | None = strawberry.field(
        default=None, description="The wallet with its balance right after the adjustment."
    )
    transaction_id: strawberry.ID | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when this key was already used for this input."
    )
    errors: list[AdjustBalanceError]


@strawberry.type
class WalletsMutation:
    @strawberry.mutation(
        description="Staff (wallet.adjust): credit or debit a player's wallet by hand, with a "
        "reason; audited."
    )
    async def adjust_balance(self, info: Info, input: AdjustBalanceInput) -> AdjustBalancePayload:
        player_id = input.player_id
        outcome = await adjustment_resolvers.adjust_balance(
            info.context,
            uuid_of(player_id, "Player"),
            wallet=input.wallet,
            direction=input.direction,
            amount=input.amount.amount,
            currency=input.amount.currency,
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        adjustment = outcome.value
        if adjustment is None:
            return AdjustBalancePayload(errors=to_errors(AdjustBalanceError, outcome.errors))
        return AdjustBalancePayload(
            wallet=Wallet(
                kind=adjustment.wallet,
                balance=Money.of(adjustment.balance_minor, adjustment.currency),
            ),
            transaction_id=ledger_transaction_id(adjustment.transaction_id),
            replayed=adjustment.replayed,
            errors=[],
        )
