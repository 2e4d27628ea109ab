"""The person's links over GraphQL: the sites' device script reports the device it
identified (reportDevice), and risk staff list the brand's possible duplicate accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from domain.accounts import errors as account_errors
from domain.accounts.permissions import Permission
from domain.compliance import linking
from domain.integrations import devices
from resolvers.compliance import linking as linking_resolvers
from resolvers.permissions import HasPermission
from schema.context import Info
from schema.errors import MutationError, as_query_error, mutation_error, to_errors
from schema.ids import global_id

FLAGS_PAGE_DEFAULT = 50


@strawberry.type(
    description="Two players of this brand who may be one person with two accounts: the "
    "same identity document, the same name, date of birth and address, or the same device."
)
class DuplicateAccountFlag:
    rule: str = strawberry.field(description="document, name_dob_address or device.")
    player_id: strawberry.ID
    player_email: str | None
    other_player_id: strawberry.ID
    other_player_email: str | None
    flagged_at: datetime

    @classmethod
    def of(cls, flag: linking.FlagView) -> Self:
        return cls(
            rule=flag.rule,
            player_id=global_id("Player", flag.player_id),
            player_email=flag.player_email,
            other_player_id=global_id("Player", flag.other_player_id),
            other_player_email=flag.other_player_email,
            flagged_at=flag.flagged_at,
        )


@mutation_error(
    account_errors.TwoFactorRequired, devices.InvalidDeviceToken, devices.DeviceUnavailable
)
class ReportDeviceError(MutationError): ...


@strawberry.input
class ReportDeviceInput:
    token: str = strawberry.field(
        description="What the fingerprinting provider's browser script returned."
    )


@strawberry.type
class ReportDevicePayload:
    recorded: bool = strawberry.field(
        default=False, description="True when the device was identified and recorded."
    )
    errors: list[ReportDeviceError]


@strawberry.type
class LinkingQuery:
    @strawberry.field(
        description="Risk staff (kyc.review): this brand's possible duplicate accounts, "
        "newest first. At most 100.",
        extensions=[HasPermission.extension(Permission.KYC_REVIEW)],
    )
    async def duplicate_account_flags(
        self, info: Info, first: int = FLAGS_PAGE_DEFAULT
    ) -> list[DuplicateAccountFlag]:
        with as_query_error():
            found = await linking_resolvers.duplicate_flags(info.context, first)
        return [DuplicateAccountFlag.of(flag) for flag in found]


@strawberry.type
class LinkingMutation:
    @strawberry.mutation(
        description="Player (also withdraw-only): the device the fingerprinting provider's "
        "script identified in this browser, for duplicate-account and bonus-abuse checks. "
        "Nothing else depends on it: a provider that cannot answer is DEVICE_UNAVAILABLE."
    )
    async def report_device(self, info: Info, input: ReportDeviceInput) -> ReportDevicePayload:
        outcome = await linking_resolvers.report_device(info.context, input.token)
        return ReportDevicePayload(
            recorded=outcome.value is not None,
            errors=to_errors(ReportDeviceError, outcome.errors),
        )
