"""Player protection mutations. Each takes one `input` and returns `{ <result>, errors }`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.accounts import errors as account_errors
from domain.compliance import errors as compliance_errors
from domain.compliance import models as compliance_models
from domain.compliance import protection
from domain.wallets import errors as wallet_errors
from resolvers.compliance import protection as protection_resolvers
from schema.compliance.types import Limit
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.money import MoneyInput

_PLAYER_ERRORS = (account_errors.TwoFactorRequired, account_errors.PlayerNotFound)


@mutation_error(
    *_PLAYER_ERRORS,
    compliance_errors.InvalidLimit,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
)
class SetLimitError(MutationError): ...


_CHANGE_ERRORS = (*_PLAYER_ERRORS, compliance_errors.LimitNotFound)


@mutation_error(*_CHANGE_ERRORS)
class RemoveLimitError(MutationError): ...


@mutation_error(*_CHANGE_ERRORS, compliance_errors.NoPendingChange, compliance_errors.CoolingOff)
class ConfirmLimitChangeError(MutationError): ...


@mutation_error(*_PLAYER_ERRORS, account_errors.ConfirmationRequired)
class TakeTimeOutError(MutationError): ...


@mutation_error(*_PLAYER_ERRORS, compliance_errors.InvalidLimit)
class SetRealityCheckError(MutationError): ...


@mutation_error(account_errors.TwoFactorRequired)
class AcknowledgeRealityCheckError(MutationError): ...


@strawberry.input(
    description="A limit to set: `amount` (in the player's currency) for deposit, loss and "
    "wager limits; `minutes` for a session limit (period SESSION)."
)
class SetLimitInput:
    kind: compliance_models.LimitKind
    period: compliance_models.LimitPeriod
    amount: MoneyInput | None = None
    minutes: int | None = None


@strawberry.type
class SetLimitPayload:
    limit: Limit | None = strawberry.field(
        default=None,
        description="The limit now: a new or lower one applies at once; a higher one shows "
        "as `pending` and the old amount holds until confirmed.",
    )
    errors: list[SetLimitError]


@strawberry.input(description="The limit a change is about: its kind and period.")
class LimitChangeInput:
    kind: compliance_models.LimitKind
    period: compliance_models.LimitPeriod


@strawberry.type
class RemoveLimitPayload:
    limit: Limit | None = strawberry.field(
        default=None, description="The limit, still in force, with the removal pending."
    )
    errors: list[RemoveLimitError]


@strawberry.type
class ConfirmLimitChangePayload:
    limit: Limit | None = strawberry.field(
        default=None, description="The limit now in force; null when it was removed."
    )
    errors: list[ConfirmLimitChangeError]


@strawberry.input
class TakeTimeOutInput:
    period: protection.TimeOutPeriod
    confirm: bool = strawberry.field(
        description="Must be true: the player confirms the break cannot be ended early."
    )


@strawberry.type
class TakeTimeOutPayload:
    time_out_until: datetime | None = strawberry.field(
        default=None, description="When the break ends (sign-in is refused until then)."
    )
    errors: list[TakeTimeOutError]


@strawberry.input
class SetRealityCheckInput:
    minutes: int | None = strawberry.field(
        default=None, description="15, 30 or 60; null switches reality checks off."
    )


@strawberry.type
class SetRealityCheckPayload:
    reality_check_minutes: int | None = None
    errors: list[SetRealityCheckError]


@strawberry.type
class AcknowledgeRealityCheckPayload:
    acknowledged_at: datetime | None = strawberry.field(
        default=None, description="The next reminder is due an interval after this."
    )
    errors: list[AcknowledgeRealityCheckError]


@mutation_error(
    account_errors.TwoFactorRequired, compliance_errors.NoExclusion,
    compliance_errors.ExclusionRunning,
)  # fmt: skip
class RequestSelfExclusionEndError(MutationError): ...


@strawberry.type
class RequestSelfExclusionEndPayload:
    lifts_at: datetime | None = strawberry.field(
        default=None,
        description="When the exclusion lifts on every brand: your next sign-in from then "
        "is a normal one.",
    )
    errors: list[RequestSelfExclusionEndError]


@strawberry.type
class ComplianceMutation:
    @strawberry.mutation(
        description="Player: set a deposit, loss, wager or session limit. A new or lower "
        "limit applies at once; a higher one only once confirmed, 24 hours or more later."
    )
    async def set_limit(self, info: Info, input: SetLimitInput) -> SetLimitPayload:
        outcome = await protection_resolvers.set_limit(
            info.context,
            kind=input.kind,
            period=input.period,
            amount=input.amount.amount if input.amount else None,
            currency=input.amount.currency if input.amount else None,
            minutes=input.minutes,
        )
        return SetLimitPayload(
            limit=Limit.of(outcome.value) if outcome.value else None,
            errors=to_errors(SetLimitError, outcome.errors),
        )

    @strawberry.mutation(
        description="Player: ask to remove a limit. Like an increase it waits 24 hours and "
        "needs confirmLimitChange; the limit holds until then."
    )
    async def remove_limit(self, info: Info, input: LimitChangeInput) -> RemoveLimitPayload:
        outcome = await protection_resolvers.remove_limit(
            info.context, kind=input.kind, period=input.period
        )
        return RemoveLimitPayload(
            limit=Limit.of(outcome.value) if outcome.value else None,
            errors=to_errors(RemoveLimitError, outcome.errors),
        )

    @strawberry.mutation(
        description="Player: confirm a pending increase or removal, once its 24-hour "
        "cooling-off is over."
    )
    async def confirm_limit_change(
        self, info: Info, input: LimitChangeInput
    ) -> ConfirmLimitChangePayload:
        outcome = await protection_resolvers.confirm_limit_change(
            info.context, kind=input.kind, period=input.period
        )
        return ConfirmLimitChangePayload(
            limit=Limit.of(outcome.value) if outcome.value else None,
            errors=to_errors(ConfirmLimitChangeError, outcome.errors),
        )

    @strawberry.mutation(
        description="Player: take a break at once (24 hours, 7 days or 30 days). Every "
        "session ends now; sign-in, deposits and play are refused until it ends; "
        "withdrawals stay possible."
    )
    async def take_time_out(self, info: Info, input: TakeTimeOutInput) -> TakeTimeOutPayload:
        outcome = await protection_resolvers.take_time_out(
            info.context, input.period, input.confirm
        )
        return TakeTimeOutPayload(
            time_out_until=outcome.value, errors=to_errors(TakeTimeOutError, outcome.errors)
        )

    @strawberry.mutation(
        description="Player: choose how often a reality-check reminder interrupts a "
        "session (15, 30 or 60 minutes), or switch it off."
    )
    async def set_reality_check(
        self, info: Info, input: SetRealityCheckInput
    ) -> SetRealityCheckPayload:
        outcome = await protection_resolvers.set_reality_check(info.context, input.minutes)
        return SetRealityCheckPayload(
            reality_check_minutes=outcome.value,
            errors=to_errors(SetRealityCheckError, outcome.errors),
        )

    @strawberry.mutation(
        description="Player: continue after a reality-check reminder; the next one is due "
        "an interval from now."
    )
    async def acknowledge_reality_check(self, info: Info) -> AcknowledgeRealityCheckPayload:
        outcome = await protection_resolvers.acknowledge_reality_check(info.context)
        return AcknowledgeRealityCheckPayload(
            acknowledged_at=outcome.value,
            errors=to_errors(AcknowledgeRealityCheckError, outcome.errors),
        )

    @strawberry.mutation(
        description="Self-excluded player (withdraw-only session): end a self-exclusion whose "
        "period is over, where the brand's jurisdiction keeps it until asked (e.g. Great "
        "Britain). It lifts on every brand after the jurisdiction's cooling-off. Where the "
        "exclusion ends at its date by itself, EXCLUSION_RUNNING."
    )
    async def request_self_exclusion_end(self, info: Info) -> RequestSelfExclusionEndPayload:
        outcome = await protection_resolvers.request_self_exclusion_end(info.context)
        return RequestSelfExclusionEndPayload(
            lifts_at=outcome.value,
            errors=to_errors(RequestSelfExclusionEndError, outcome.errors),
        )
