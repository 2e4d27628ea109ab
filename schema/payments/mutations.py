"""Payments mutations. Each takes one `input` and returns `{ <result>, errors }`."""

from __future__ import annotations

import uuid

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.bonuses import errors as bonus_errors
from domain.compliance import errors as compliance_errors
from domain.compliance.aml.errors import EnhancedChecksRequired
from domain.compliance.kyc.errors import VerificationRequired
from domain.integrations import psp
from domain.kernel.errors import PermissionDenied, ReasonRequired
from domain.payments import errors as payment_errors
from domain.payments import service as payment_service
from domain.payments.models import Payment as PaymentModel
from domain.wallets import errors as wallet_errors
from resolvers.payments import payments as payment_resolvers
from resolvers.results import Outcome
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import uuid_of
from schema.money import MoneyInput
from schema.payments.types import Payment

_PLAYER_ERRORS = (
    account_errors.TwoFactorRequired,
    account_errors.PlayerNotFound,
    compliance_errors.PlayerBlocked,
    compliance_errors.AccountSuspended,
    compliance_errors.SelfExcluded,
    compliance_errors.AccountClosed,
    VerificationRequired,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
    wallet_errors.IdempotencyConflict,
    wallet_errors.InvalidIdempotencyKey,
    payment_errors.CurrencyMismatch,
    psp.UnknownProvider,
)
_STAFF_ERRORS = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
    payment_errors.PaymentNotFound,
    payment_errors.WithdrawalAlreadyReviewed,
)


@mutation_error(
    *_PLAYER_ERRORS,
    psp.ProviderUnavailable,
    compliance_errors.TimedOut,
    compliance_errors.DepositLimitReached,
    EnhancedChecksRequired,
    bonus_errors.OfferNotFound,
)
class DepositError(MutationError): ...


@mutation_error(
    *_PLAYER_ERRORS,
    wallet_errors.InsufficientFunds,
    account_errors.StepUpCodeRequired,
    account_errors.InvalidTwoFactorCode,
    account_errors.LoginThrottled,
    bonus_errors.BonusForfeitUnconfirmed,
)
class RequestWithdrawalError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, psp.UnknownProvider, psp.ProviderUnavailable)
class ApproveWithdrawalError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, ReasonRequired, payment_errors.ReasonTooLong)
class RejectWithdrawalError(MutationError): ...


_KEY_DESCRIPTION = (
    "1-200 printable ASCII characters, new for each payment. Resending the same input with "
    "the same key returns the first result and moves nothing again."
)


@strawberry.input
class DepositInput:
    amount: MoneyInput = strawberry.field(description="Positive, in the player's currency.")
    idempotency_key: str = strawberry.field(description=_KEY_DESCRIPTION)
    flow: psp.DepositFlow = psp.DepositFlow.HOSTED
    bonus_code: str | None = strawberry.field(
        default=None,
        description="A deposit bonus code: the offer is claimed on this deposit when it is "
        "credited (if the deposit qualifies; the deposit is credited either way).",
    )


@strawberry.type
class DepositPayload:
    payment: Payment | None = strawberry.field(
        default=None,
        description="The deposit. HOSTED: PENDING with a `redirectUrl` to send the player to; "
        "the balance goes up when the PSP confirms. DIRECT: already final, or PENDING.",
    )
    errors: list[DepositError]


@strawberry.input
class RequestWithdrawalInput:
    amount: MoneyInput = strawberry.field(description="Positive, in the player's currency.")
    idempotency_key: str = strawberry.field(description=_KEY_DESCRIPTION)
    two_factor_code: str | None = strawberry.field(
        default=None,
        description="A fresh code from the authenticator app, required when the player has "
        "two-factor authentication on (else TWO_FACTOR_REQUIRED on `twoFactorCode`). Each "
        "code works once; a retry under the same key needs none.",
    )
    forfeit_bonuses: bool = strawberry.field(
        default=False,
        description="The player confirms that withdrawing forfeits their active bonuses, "
        "where the brand's jurisdiction says a withdrawal while wagering does (else "
        "BONUS_FORFEIT_UNCONFIRMED on `forfeitBonuses`, nothing changed). Warn them first.",
    )


@strawberry.type
class RequestWithdrawalPayload:
    withdrawal: Payment | None = strawberry.field(
        default=None,
        description="REQUESTED: the amount left cash for the withdrawal pending wallet at once.",
    )
    errors: list[RequestWithdrawalError]


@strawberry.input
class ApproveWithdrawalInput:
    withdrawal_id: relay.GlobalID


@strawberry.type
class ApproveWithdrawalPayload:
    withdrawal: Payment | None = strawberry.field(
        default=None,
        description="SUCCEEDED or FAILED when the PSP answered at once; APPROVED while the "
        "payout is pending (or could not be placed: see errors, and approve again).",
    )
    errors: list[ApproveWithdrawalError]


@strawberry.input
class RejectWithdrawalInput:
    withdrawal_id: relay.GlobalID
    reason: str = strawberry.field(
        description=f"Why (mandatory, at most {payment_service.REASON_LENGTH_MAX} characters); "
        "kept in the audit log."
    )


@strawberry.type
class RejectWithdrawalPayload:
    withdrawal: Payment | None = strawberry.field(
        default=None, description="REJECTED: the amount is back in cash."
    )
    errors: list[RejectWithdrawalError]


def _withdrawal_id(global_id: relay.GlobalID) -> uuid.UUID | None:
    return uuid_of(global_id, "Payment")


def _payment(outcome: Outcome[PaymentModel]) -> Payment | None:
    return Payment.from_model(outcome.value) if outcome.value is not None else None


@strawberry.type
class PaymentsMutation:
    @strawberry.mutation(
        description="Player: deposit into cash through the PSP. Follow `payment.redirectUrl` "
        "(hosted flow); the balance goes up once the PSP confirms."
    )
    async def deposit(self, info: Info, input: DepositInput) -> DepositPayload:
        outcome = await payment_resolvers.deposit(
            info.context,
            amount=input.amount.amount,
            currency=input.amount.currency,
            idempotency_key=input.idempotency_key,
            flow=input.flow,
            bonus_code=input.bonus_code,
        )
        return DepositPayload(
            payment=_payment(outcome), errors=to_errors(DepositError, outcome.errors)
        )

    @strawberry.mutation(
        description="Player: withdraw from cash. The amount moves to the withdrawal pending "
        "wallet at once; finance approves (payout) or rejects (it returns to cash). A player "
        "cannot cancel a request."
    )
    async def request_withdrawal(
        self, info: Info, input: RequestWithdrawalInput
    ) -> RequestWithdrawalPayload:
        outcome = await payment_resolvers.request_withdrawal(
            info.context,
            amount=input.amount.amount,
            currency=input.amount.currency,
            idempotency_key=input.idempotency_key,
            two_factor_code=input.two_factor_code,
            forfeit_bonuses=input.forfeit_bonuses,
        )
        return RequestWithdrawalPayload(
            withdrawal=_payment(outcome), errors=to_errors(RequestWithdrawalError, outcome.errors)
        )

    @strawberry.mutation(
        description="Staff (withdrawal.approve): approve a requested withdrawal and pay it out "
        "through the PSP; a failed payout returns the funds to cash. Audited."
    )
    async def approve_withdrawal(
        self, info: Info, input: ApproveWithdrawalInput
    ) -> ApproveWithdrawalPayload:
        outcome = await payment_resolvers.approve_withdrawal(
            info.context, _withdrawal_id(input.withdrawal_id)
        )
        return ApproveWithdrawalPayload(
            withdrawal=_payment(outcome), errors=to_errors(ApproveWithdrawalError, outcome.errors)
        )

    @strawberry.mutation(
        description="Staff (withdrawal.approve): reject a requested withdrawal with a reason; "
        "the funds return to cash. Audited."
    )
    async def reject_withdrawal(
        self, info: Info, input: RejectWithdrawalInput
    ) -> RejectWithdrawalPayload:
        outcome = await payment_resolvers.reject_withdrawal(
            info.context, _withdrawal_id(input.withdrawal_id), input.reason
        )
        return RejectWithdrawalPayload(
            withdrawal=_payment(outcome), errors=to_errors(RejectWithdrawalError, outcome.errors)
        )
