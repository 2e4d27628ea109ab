"""KYC in GraphQL: the player's profile, verification status and what it unlocks, starting a
check at the provider, and the risk staff's review queue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Protocol, Self

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.accounts.permissions import Permission
from domain.compliance import privacy
from domain.compliance.kyc import checks, profile, review, status
from domain.compliance.kyc import errors as kyc_errors
from domain.compliance.kyc import models as kyc_models
from domain.compliance.kyc.gates import Step
from domain.integrations import kyc as kyc_port
from domain.kernel.errors import PermissionDenied, ReasonRequired
from resolvers.compliance import kyc as kyc_resolvers
from resolvers.permissions import HasPermission
from schema.context import Info
from schema.errors import MutationError, as_query_error, mutation_error, to_errors
from schema.ids import global_id, uuid_of

KycTier = strawberry.enum(
    kyc_models.KycTier,
    name="KycTier",
    description="How far a player is verified; each tier includes the ones before it.",
)
KycCheckStatus = strawberry.enum(kyc_models.CheckStatus, name="KycCheckStatus")
VerificationStep = strawberry.enum(
    Step, name="VerificationStep", description="What a KYC tier may be required before."
)
KycReviewDecision = strawberry.enum(review.ReviewDecision, name="KycReviewDecision")
CHECK = "KycCheck"
QUEUE_PAGE_DEFAULT = 20


@strawberry.type(description="The player's legal identity as entered (null: not given).")
class PlayerProfile:
    given_name: str | None
    family_name: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    postal_code: str | None
    address_country: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")
    nationality: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")
    phone: str | None = strawberry.field(description="E.164, e.g. +447700900123.")
    phone_verified: bool
    complete: bool = strawberry.field(
        description="Name, address and nationality are given (a verification needs them)."
    )
    updated_at: datetime | None

    @classmethod
    def of(cls, found: profile.Profile) -> Self:
        v = found.values
        return cls(
            given_name=v.given_name, family_name=v.family_name, address_line1=v.address_line1,
            address_line2=v.address_line2, city=v.city, postal_code=v.postal_code,
            address_country=v.address_country, nationality=v.nationality, phone=v.phone,
            phone_verified=found.phone_verified, complete=found.complete,
            updated_at=found.updated_at,
        )  # fmt: skip


@strawberry.type(description="One verification at the KYC provider.")
class KycCheck:
    id: strawberry.ID
    tier: kyc_models.KycTier
    status: kyc_models.CheckStatus
    reason: str | None = strawberry.field(
        description="The provider's (or reviewer's) reason for a rejection or resubmission."
    )
    document_type: str | None
    document_expires_on: date | None
    created_at: datetime
    decided_at: datetime | None
    flow_url: str = strawberry.field(
        description="The provider's hosted flow: send the player there to finish the check "
        "(empty for staff: the link acts for the player)."
    )

    @classmethod
    def of(cls, check: checks.CheckView) -> Self:
        return cls(
            id=global_id(CHECK, check.id), tier=check.tier, status=check.status,
            reason=check.reason, document_type=check.document_type,
            document_expires_on=check.document_expires_on, created_at=check.created_at,
            decided_at=check.decided_at, flow_url=check.flow_url,
        )  # fmt: skip


@strawberry.type(description="The tier the brand's jurisdiction asks for before a step.")
class VerificationRequirement:
    step: Step
    tier: kyc_models.KycTier
    met: bool


@strawberry.type(description="Where the player's verification stands and what it unlocks.")
class Verification:
    tier: kyc_models.KycTier
    checks: list[KycCheck] = strawberry.field(description="The latest checks, newest first.")
    requirements: list[VerificationRequirement]
    next_tier: kyc_models.KycTier | None = strawberry.field(
        description="The tier to verify next to unlock a step not met yet (null: all met)."
    )
    enforced: bool = strawberry.field(
        description="Whether steps whose requirement is not met are refused "
        "(VERIFICATION_REQUIRED) on this deployment."
    )

    @classmethod
    def of(cls, found: status.Verification) -> Self:
        return cls(
            tier=found.tier,
            checks=[KycCheck.of(check) for check in found.checks],
            requirements=[
                VerificationRequirement(step=req.step, tier=req.tier, met=req.met)
                for req in found.steps
            ],
            next_tier=found.next_tier,
            enforced=found.enforced,
        )


@strawberry.type(description="A check in the review queue, with its player.")
class KycReviewItem:
    check: KycCheck
    player_id: strawberry.ID
    player_email: str | None

    @classmethod
    def of(cls, queued: review.QueuedCheck) -> Self:
        return cls(
            check=KycCheck.of(queued.check),
            player_id=global_id("Player", queued.player_id),
            player_email=queued.player_email,
        )


# -- fields of Player and Viewer ------------------------------------------------------------


class _PlayerLike(Protocol):
    id: str


async def player_profile(root: _PlayerLike, info: Info) -> PlayerProfile:
    with as_query_error():
        found = await kyc_resolvers.profile_of(info.context, uuid.UUID(root.id))
    return PlayerProfile.of(found)


async def player_verification(root: _PlayerLike, info: Info) -> Verification:
    with as_query_error():
        found = await kyc_resolvers.verification_of(info.context, uuid.UUID(root.id))
    return Verification.of(found)


profile_field = strawberry.field(
    resolver=player_profile,
    description="Legal name, address, nationality and phone (the player, or staff with "
    "player.read).",
)
verification_field = strawberry.field(
    resolver=player_verification,
    description="The player's KYC tier, checks, and the tier each step needs under the "
    "brand's jurisdiction (the player, or staff with player.read).",
)


# -- mutations ---------------------------------------------------------------------------

_PROFILE_ERRORS = (
    account_errors.TwoFactorRequired, account_errors.PlayerNotFound, kyc_errors.InvalidProfile,
)  # fmt: skip


@mutation_error(*_PROFILE_ERRORS)
class UpdateProfileError(MutationError): ...


@mutation_error(*_PROFILE_ERRORS, PermissionDenied, ReasonRequired)
class UpdatePlayerProfileError(MutationError): ...


@mutation_error(
    account_errors.TwoFactorRequired, kyc_errors.TierNotOffered, kyc_errors.CheckRunning,
    kyc_port.ProviderUnavailable, kyc_port.UnknownKycProvider,
)  # fmt: skip
class StartVerificationError(MutationError): ...


@mutation_error(
    account_errors.TwoFactorRequired, PermissionDenied, ReasonRequired,
    kyc_errors.CheckNotFound, kyc_errors.CheckAlreadyDecided,
)  # fmt: skip
class DecideKycReviewError(MutationError): ...


@strawberry.input(description="Every field is saved: null or empty clears it.")
class ProfileInput:
    given_name: str | None = None
    family_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    address_country: str | None = None
    nationality: str | None = None
    phone: str | None = None

    def fields(self) -> profile.ProfileFields:
        return profile.ProfileFields(
            given_name=self.given_name, family_name=self.family_name,
            address_line1=self.address_line1, address_line2=self.address_line2,
            city=self.city, postal_code=self.postal_code,
            address_country=self.address_country, nationality=self.nationality,
            phone=self.phone,
        )  # fmt: skip


@strawberry.input
class UpdateProfileInput:
    profile: ProfileInput


@strawberry.input
class UpdatePlayerProfileInput:
    player_id: relay.GlobalID
    profile: ProfileInput
    reason: str = strawberry.field(description="Why staff change it (audited).")


@strawberry.type
class UpdateProfilePayload:
    profile: PlayerProfile | None = None
    errors: list[UpdateProfileError]


@strawberry.type
class UpdatePlayerProfilePayload:
    profile: PlayerProfile | None = None
    errors: list[UpdatePlayerProfileError]


@strawberry.input
class StartVerificationInput:
    tier: kyc_models.KycTier = strawberry.field(description="BASIC, FULL or ENHANCED.")


@strawberry.type
class StartVerificationPayload:
    check: KycCheck | None = strawberry.field(
        default=None, description="The new check: send the player to its `flowUrl`."
    )
    errors: list[StartVerificationError]


@mutation_error(
    account_errors.TwoFactorRequired, account_errors.PlayerNotFound,
    account_errors.ConfirmationRequired, privacy.BalanceRemaining,
    account_errors.InvalidCredentials, account_errors.StepUpCodeRequired,
    account_errors.InvalidTwoFactorCode, account_errors.LoginThrottled,
)  # fmt: skip
class RequestErasureError(MutationError): ...


@strawberry.input
class RequestErasureInput:
    confirm: bool = strawberry.field(
        description="Must be true: the account closes and cannot be reopened."
    )
    password: str | None = strawberry.field(
        default=None,
        description="The player's current password, proving it is them and not just their "
        "session (INVALID_CREDENTIALS on `password` when missing or wrong). Not needed when "
        "two-factor authentication is on: then `twoFactorCode`.",
    )
    two_factor_code: str | None = strawberry.field(
        default=None,
        description="A fresh authenticator code, required instead of the password when the "
        "player has two-factor authentication on (else TWO_FACTOR_REQUIRED on "
        "`twoFactorCode`).",
    )


@strawberry.type
class RequestErasurePayload:
    retained_until: datetime | None = strawberry.field(
        default=None,
        description="Until when the records regulation makes us keep (identity, KYC, "
        "payments, bets) are held; everything else is erased now.",
    )
    errors: list[RequestErasureError]


@strawberry.input
class DecideKycReviewInput:
    check_id: strawberry.ID
    decision: review.ReviewDecision
    reason: str


@strawberry.type
class DecideKycReviewPayload:
    check: KycCheck | None = None
    player_tier: kyc_models.KycTier | None = strawberry.field(
        default=None, description="The player's tier after the decision."
    )
    errors: list[DecideKycReviewError]


def _check_id(text: str) -> uuid.UUID | None:
    try:
        return uuid_of(relay.GlobalID.from_id(text), CHECK)
    except (ValueError, TypeError):
        return None


@strawberry.type
class KycQuery:
    @strawberry.field(
        description="Risk staff (kyc.review): this brand's checks waiting for a manual "
        "review, oldest first. At most 100.",
        extensions=[HasPermission.extension(Permission.KYC_REVIEW)],
    )
    async def kyc_review_queue(
        self, info: Info, first: int = QUEUE_PAGE_DEFAULT
    ) -> list[KycReviewItem]:
        with as_query_error():
            queued = await kyc_resolvers.review_queue(info.context, first)
        return [KycReviewItem.of(item) for item in queued]


@strawberry.type
class KycMutation:
    @strawberry.mutation(
        description="Player: save your legal name, address, nationality and phone."
    )
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> UpdateProfilePayload:
        outcome = await kyc_resolvers.update_profile(info.context, input.profile.fields())
        return UpdateProfilePayload(
            profile=PlayerProfile.of(outcome.value) if outcome.value else None,
            errors=to_errors(UpdateProfileError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (player.status.write): correct a player's profile, with a reason "
        "(audited)."
    )
    async def update_player_profile(
        self, info: Info, input: UpdatePlayerProfileInput
    ) -> UpdatePlayerProfilePayload:
        player_id = uuid_of(input.player_id, "Player")
        if player_id is None:
            errors: list[UpdatePlayerProfileError] = to_errors(
                UpdatePlayerProfileError, [account_errors.PlayerNotFound(field="playerId")]
            )
            return UpdatePlayerProfilePayload(errors=errors)
        outcome = await kyc_resolvers.update_profile(
            info.context, input.profile.fields(), player_id=player_id, reason=input.reason
        )
        return UpdatePlayerProfilePayload(
            profile=PlayerProfile.of(outcome.value) if outcome.value else None,
            errors=to_errors(UpdatePlayerProfileError, outcome.errors),
        )

    @strawberry.mutation(
        description="Player: start a verification for a tier at the KYC provider; send the "
        "player to the returned check's `flowUrl`. The decision arrives by webhook."
    )
    async def start_verification(
        self, info: Info, input: StartVerificationInput
    ) -> StartVerificationPayload:
        outcome = await kyc_resolvers.start_verification(info.context, input.tier)
        return StartVerificationPayload(
            check=KycCheck.of(outcome.value) if outcome.value else None,
            errors=to_errors(StartVerificationError, outcome.errors),
        )

    @strawberry.mutation(
        description="Player (also withdraw-only): erase your data and close the account, "
        "confirmed with the password (or a 2FA code when it is on). "
        "Sign-in identifiers, password, phone, inbox and session devices go now; records "
        "regulation keeps (identity, KYC, payments, bets) stay until `retainedUntil`. "
        "Withdraw your balance first (BALANCE_REMAINING)."
    )
    async def request_erasure(
        self, info: Info, input: RequestErasureInput
    ) -> RequestErasurePayload:
        outcome = await kyc_resolvers.request_erasure(
            info.context, input.confirm, password=input.password,
            two_factor_code=input.two_factor_code,
        )  # fmt: skip
        return RequestErasurePayload(
            retained_until=outcome.value, errors=to_errors(RequestErasureError, outcome.errors)
        )

    @strawberry.mutation(
        description="Risk staff (kyc.review): approve or reject a check in manual review, "
        "with a reason (audited); the player's tier follows."
    )
    async def decide_kyc_review(
        self, info: Info, input: DecideKycReviewInput
    ) -> DecideKycReviewPayload:
        outcome = await kyc_resolvers.decide_review(
            info.context, _check_id(input.check_id), input.decision, input.reason
        )
        check, tier = outcome.value if outcome.value else (None, None)
        return DecideKycReviewPayload(
            check=KycCheck.of(check) if check else None,
            player_tier=tier,
            errors=to_errors(DecideKycReviewError, outcome.errors),
        )
