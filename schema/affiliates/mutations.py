"""Affiliate mutations (staff with affiliate.manage). Each takes one `input` and returns
`{ <result>, errors }`."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.affiliates import errors as affiliate_errors
from domain.affiliates.models import PlanKind
from domain.affiliates.programme import CpaTerms, Plan
from domain.kernel.errors import DomainError, PermissionDenied
from domain.wallets import errors as wallet_errors
from resolvers.affiliates import affiliates as resolvers
from resolvers.wallets.adjustments import amount_minor
from schema.affiliates.types import (
    Affiliate,
    AffiliatePlan,
    AffiliateStatement,
    AffiliateTrackingCode,
)
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import uuid_of
from schema.money import DecimalText, decimal_or_nan

_STAFF_ERRORS = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
)


@strawberry.input(description="A CPA in one currency; amounts are decimal strings in it.")
class AffiliateCpaInput:
    currency: str
    amount: DecimalText
    minimum_deposits: DecimalText = strawberry.field(
        default="0", description="Lifetime deposits the player must reach by month end."
    )
    minimum_stakes: DecimalText = strawberry.field(
        default="0", description="Lifetime stakes the player must reach by month end."
    )


@mutation_error(
    *_STAFF_ERRORS,
    affiliate_errors.InvalidPlan,
    affiliate_errors.InvalidPostbackUrl,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
)
class CreateAffiliateError(MutationError): ...


@strawberry.input
class CreateAffiliateInput:
    name: str
    plan: AffiliatePlan
    cpa: list[AffiliateCpaInput] = strawberry.field(
        default_factory=list, description="CPA and hybrid plans: one per currency (at most 20)."
    )
    revshare_percent: DecimalText = strawberry.field(
        default="0", description='RevShare and hybrid plans: percent of NGR, e.g. "25.00".'
    )
    negative_carry_over: bool = strawberry.field(
        default=False, description="Carry a negative month's NGR into the next month."
    )
    postback_url: str | None = strawberry.field(default=None, description="An https:// URL.")


@strawberry.type
class CreateAffiliatePayload:
    affiliate: Affiliate | None = None
    access_key: str | None = strawberry.field(
        default=None, description="Shown once: the affiliate's key to `affiliatePortal`."
    )
    postback_secret: str | None = strawberry.field(
        default=None, description="Shown once: signs the affiliate's postbacks (HMAC-SHA256)."
    )
    errors: list[CreateAffiliateError]


def _plan(given: CreateAffiliateInput) -> Plan | affiliate_errors.InvalidPlan:
    """The domain plan of the input, or the error that it cannot be one (raised after the
    permission check). Errors raised: InvalidAmount, UnsupportedCurrency."""
    if len(given.cpa) > 20:
        return affiliate_errors.InvalidPlan("At most 20 currencies.", field="cpa")
    cpa = {}
    for index, item in enumerate(given.cpa):
        where = f"cpa.{index}"
        cpa[item.currency] = CpaTerms(
            amount_minor=amount_minor(item.amount, item.currency, field=f"{where}.amount"),
            min_deposit_minor=amount_minor(
                item.minimum_deposits, item.currency, field=f"{where}.minimumDeposits"
            ),
            min_stakes_minor=amount_minor(
                item.minimum_stakes, item.currency, field=f"{where}.minimumStakes"
            ),
        )
    percent = decimal_or_nan(given.revshare_percent, places_max=2, integer_digits_max=3)
    if percent.is_nan():
        return affiliate_errors.InvalidPlan("A percent such as 25.00.", field="revsharePercent")
    return Plan(
        kind=PlanKind(given.plan.value),
        cpa=cpa,
        revshare_percent=percent,
        negative_carry_over=given.negative_carry_over,
    )


@mutation_error(
    *_STAFF_ERRORS,
    affiliate_errors.AffiliateNotFound,
    affiliate_errors.InvalidTrackingCode,
    affiliate_errors.TrackingCodeTaken,
)
class AddAffiliateTrackingCodeError(MutationError): ...


@strawberry.input
class AddAffiliateTrackingCodeInput:
    affiliate_id: relay.GlobalID
    code: str = strawberry.field(description="1 to 64 letters, digits, '-' or '_'.")
    campaign: str = ""


@strawberry.type
class AddAffiliateTrackingCodePayload:
    tracking_code: AffiliateTrackingCode | None = None
    errors: list[AddAffiliateTrackingCodeError]


@mutation_error(
    *_STAFF_ERRORS, affiliate_errors.InvalidMonth, affiliate_errors.MonthNotClosed,
    affiliate_errors.LaterMonthStated,
)  # fmt: skip
class RunAffiliateStatementsError(MutationError): ...


@strawberry.input
class RunAffiliateStatementsInput:
    month: date = strawberry.field(description="Any day of a month that has ended.")


@strawberry.type
class RunAffiliateStatementsPayload:
    statements: list[AffiliateStatement] | None = strawberry.field(
        default=None, description="Those written by this run (none when already run)."
    )
    errors: list[RunAffiliateStatementsError]


@strawberry.type
class AffiliatesMutation:
    @strawberry.mutation(
        description="Staff (affiliate.manage): add an affiliate with its plan; audited."
    )
    async def create_affiliate(
        self, info: Info, input: CreateAffiliateInput
    ) -> CreateAffiliatePayload:
        try:
            plan = _plan(input)
        except DomainError as error:
            return CreateAffiliatePayload(errors=to_errors(CreateAffiliateError, [error]))
        result = await resolvers.create_affiliate(
            info.context, name=input.name, plan=plan, postback_url=input.postback_url
        )
        if result.value is None:
            return CreateAffiliatePayload(errors=to_errors(CreateAffiliateError, result.errors))
        created = result.value
        return CreateAffiliatePayload(
            affiliate=Affiliate.of(created.affiliate, []),
            access_key=created.access_key,
            postback_secret=created.postback_secret,
            errors=[],
        )

    @strawberry.mutation(
        description="Staff (affiliate.manage): give an affiliate a tracking code; audited."
    )
    async def add_affiliate_tracking_code(
        self, info: Info, input: AddAffiliateTrackingCodeInput
    ) -> AddAffiliateTrackingCodePayload:
        result = await resolvers.add_tracking_code(
            info.context, uuid_of(input.affiliate_id, "Affiliate"), input.code, input.campaign
        )
        return AddAffiliateTrackingCodePayload(
            tracking_code=AffiliateTrackingCode.of(result.value) if result.value else None,
            errors=to_errors(AddAffiliateTrackingCodeError, result.errors),
        )

    @strawberry.mutation(
        description="Staff (affiliate.manage): write the brand's affiliate statements of a "
        "month that has ended and book their commissions; running it again pays nothing."
    )
    async def run_affiliate_statements(
        self, info: Info, input: RunAffiliateStatementsInput
    ) -> RunAffiliateStatementsPayload:
        result = await resolvers.run_statements(info.context, input.month)
        if result.value is None:
            return RunAffiliateStatementsPayload(
                errors=to_errors(RunAffiliateStatementsError, result.errors)
            )
        return RunAffiliateStatementsPayload(
            statements=[AffiliateStatement.of(s) for s in result.value], errors=[]
        )
