"""Accounts mutations. Each takes one `input` and returns `{ <result>, errors }`."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.accounts.models import PlayerStatus as PlayerStatusModel
from domain.accounts.models import SessionTransport as SessionTransportModel
from domain.accounts.permissions import Role
from domain.accounts.players import SelfExclusionPeriod as SelfExclusionPeriodModel
from domain.brands.errors import UnknownBrand
from domain.compliance import errors as compliance_errors
from domain.compliance.models import LimitPeriod as LimitPeriodModel
from domain.integrations.registers import RegisterUnavailable
from domain.kernel.errors import NotFound, PermissionDenied, ReasonRequired
from resolvers.accounts import auth, players
from resolvers.compliance.protection import RegistrationLimit
from schema.accounts.connected_login import ConnectedLoginMutation
from schema.accounts.preferences import PreferencesMutation
from schema.accounts.recovery import RecoveryMutation
from schema.accounts.types import Player, SessionTransport, StaffMember
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import uuid_of
from schema.money import DecimalText

E = account_errors
_FORM_ERRORS = (
    E.InvalidEmail, E.InvalidPhone, E.InvalidUsername, E.IdentifierRequired, E.IdentifierTaken,
    E.PasswordTooShort, E.PasswordTooLong, E.PasswordTooWeak, E.Underage, E.InvalidDateOfBirth,
    E.InvalidCountry, E.UnsupportedCurrency, E.UnsupportedLocale,
)  # fmt: skip
_STAFF_LOGIN_ERRORS = (E.InvalidCredentials, E.LoginThrottled, E.AccountClosed)
_LOGIN_ERRORS = (
    *_STAFF_LOGIN_ERRORS, compliance_errors.AccountSuspended, compliance_errors.SelfExcluded,
    compliance_errors.TimedOut,
)  # fmt: skip
_STAFF_ERRORS = (PermissionDenied, E.TwoFactorRequired, E.PasswordChangeRequired)


@mutation_error(
    *_FORM_ERRORS, E.RegistrationThrottled, compliance_errors.InvalidLimit, RegisterUnavailable
)
class RegisterError(MutationError): ...


@mutation_error(*_LOGIN_ERRORS, RegisterUnavailable)
class LoginError(MutationError): ...


@mutation_error(*_STAFF_LOGIN_ERRORS)
class StaffLoginError(MutationError): ...


@mutation_error(E.InvalidTwoFactorCode, E.LoginThrottled, E.TwoFactorEnrolmentRequired)
class CompleteTwoFactorError(MutationError): ...


@mutation_error()
class LogoutError(MutationError): ...


@mutation_error(E.TwoFactorRequired)
class RevokeMySessionsError(MutationError): ...


@mutation_error(E.TwoFactorAlreadyEnabled, E.TwoFactorRequired)
class BeginTwoFactorEnrolmentError(MutationError): ...


@mutation_error(E.TwoFactorAlreadyEnabled, E.InvalidTwoFactorCode)
class ConfirmTwoFactorEnrolmentError(MutationError): ...


@mutation_error(
    E.TwoFactorMandatory,
    E.TwoFactorNotEnabled,
    E.InvalidTwoFactorCode,
    E.TwoFactorRequired,
    E.LoginThrottled,
)
class DisableTwoFactorError(MutationError): ...


@mutation_error(
    E.InvalidCredentials,
    E.PasswordTooShort,
    E.PasswordTooLong,
    E.PasswordTooWeak,
    E.TwoFactorRequired,
    E.LoginThrottled,
)
class ChangePasswordError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, E.PlayerNotFound, ReasonRequired, E.SelfExclusionActive)
class SetPlayerStatusError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, E.PlayerNotFound)
class RevokePlayerSessionsError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, E.InvalidEmail, E.InvalidRole, E.StaffEmailTaken, UnknownBrand)
class CreateStaffMemberError(MutationError): ...


@mutation_error(*_STAFF_ERRORS, E.InvalidRole, NotFound)
class SetStaffRolesError(MutationError): ...


@mutation_error(
    E.TwoFactorRequired,
    E.ConfirmationRequired,
    E.PlayerNotFound,
    compliance_errors.PeriodNotOffered,
)
class SelfExcludeError(MutationError): ...


SelfExclusionPeriod = strawberry.enum(
    SelfExclusionPeriodModel,
    name="SelfExclusionPeriod",
    description="How long a self-exclusion lasts; PERMANENT has no end.",
)


@strawberry.input
class RegisterInput:
    email: str | None = None
    phone: str | None = strawberry.field(
        default=None, description="International format, e.g. +447700900123."
    )
    username: str | None = None
    password: str
    date_of_birth: date
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. MT.")
    currency: str = strawberry.field(description="One of the brand's currencies (ISO 4217).")
    locale: str | None = None
    deposit_limit: RegisterDepositLimitInput | None = strawberry.field(
        default=None, description="A deposit limit to start with (recommended)."
    )
    tracking_code: str | None = strawberry.field(
        default=None,
        description="The affiliate tracking code (btag) the player landed with; an unknown "
        "one is ignored.",
    )


@strawberry.input(description="A deposit limit set with the account, in its currency.")
class RegisterDepositLimitInput:
    period: LimitPeriodModel
    amount: DecimalText = strawberry.field(description='In the account currency, e.g. "100.00".')


@strawberry.type
class RegisterPayload:
    player: Player | None = None
    errors: list[RegisterError]


@strawberry.input
class LoginInput:
    identifier: str = strawberry.field(description="Email, phone number or username.")
    password: str
    transport: SessionTransport = strawberry.field(
        default=SessionTransport.BEARER,
        description="BEARER returns a token; COOKIE sets the site's session cookie instead.",
    )
    withdraw_only: bool = strawberry.field(
        default=False,
        description="A self-excluded player signs in only with this: a withdraw-only session "
        "that sees balances and history, withdraws and reads messages; every other "
        "mutation answers WITHDRAW_ONLY.",
    )


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`. Null for COOKIE."
    )
    two_factor_required: bool = False
    errors: list[LoginError]


@strawberry.input
class StaffLoginInput:
    email: str
    password: str
    transport: SessionTransport = SessionTransport.BEARER


@strawberry.type
class StaffLoginPayload:
    token: str | None = None
    two_factor_required: bool = strawberry.field(
        default=False,
        description="Always true on success: staff finish with a TOTP code, or enrol first.",
    )
    errors: list[StaffLoginError]


@strawberry.input
class CompleteTwoFactorInput:
    code: str = strawberry.field(description="The 6-digit code from the authenticator app.")


@strawberry.type
class CompleteTwoFactorPayload:
    token: str | None = strawberry.field(default=None, description="The new, full session's token.")
    errors: list[CompleteTwoFactorError]


@strawberry.type
class LogoutPayload:
    signed_out: bool = False
    errors: list[LogoutError]


@strawberry.input
class RevokeMySessionsInput:
    keep_current: bool = True


@strawberry.type
class RevokeMySessionsPayload:
    revoked_count: int = 0
    errors: list[RevokeMySessionsError]


@strawberry.type
class BeginTwoFactorEnrolmentPayload:
    secret: str | None = None
    provisioning_uri: str | None = strawberry.field(
        default=None, description="An otpauth:// URI to show as a QR code."
    )
    errors: list[BeginTwoFactorEnrolmentError]


@strawberry.input
class TwoFactorCodeInput:
    code: str


@strawberry.type
class ConfirmTwoFactorEnrolmentPayload:
    enabled: bool = False
    token: str | None = strawberry.field(
        default=None,
        description="For staff completing sign-in by enrolling: the new, full session's token.",
    )
    errors: list[ConfirmTwoFactorEnrolmentError]


@strawberry.type
class DisableTwoFactorPayload:
    disabled: bool = False
    errors: list[DisableTwoFactorError]


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangePasswordPayload:
    changed: bool = False
    errors: list[ChangePasswordError]


@strawberry.input
class SetPlayerStatusInput:
    player_id: relay.GlobalID
    status: PlayerStatusModel
    reason: str


@strawberry.type
class SetPlayerStatusPayload:
    player: Player | None = None
    errors: list[SetPlayerStatusError]


@strawberry.input
class RevokePlayerSessionsInput:
    player_id: relay.GlobalID


@strawberry.type
class RevokePlayerSessionsPayload:
    revoked_count: int = 0
    errors: list[RevokePlayerSessionsError]


@strawberry.input
class CreateStaffMemberInput:
    email: str
    roles: list[Role]
    brands: list[str] | None = strawberry.field(default=None, description="Null: every brand.")


@strawberry.type
class CreateStaffMemberPayload:
    staff_member: StaffMember | None = None
    one_time_password: str | None = strawberry.field(
        default=None, description="Shown once. The first sign-in must replace it."
    )
    errors: list[CreateStaffMemberError]


@strawberry.input
class SetStaffRolesInput:
    staff_id: relay.GlobalID
    roles: list[Role]


@strawberry.type
class SetStaffRolesPayload:
    staff_member: StaffMember | None = None
    errors: list[SetStaffRolesError]


@strawberry.input
class SelfExcludeInput:
    period: SelfExclusionPeriodModel
    confirm: bool = strawberry.field(
        description="Must be true: the player confirms it cannot be lifted before it ends."
    )


@strawberry.type
class SelfExcludePayload:
    excluded: bool = False
    excluded_until: datetime | None = strawberry.field(
        default=None, description="When the exclusion ends; null when permanent."
    )
    errors: list[SelfExcludeError]


def _node_uuid(global_id: relay.GlobalID, type_name: str) -> object:
    return uuid_of(global_id, type_name)


@strawberry.type
class AccountsMutation(PreferencesMutation, RecoveryMutation, ConnectedLoginMutation):
    @strawberry.mutation(description="Create a player account on this brand.")
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        outcome = await players.register(
            info.context,
            email=input.email,
            phone=input.phone,
            username=input.username,
            password=input.password,
            date_of_birth=input.date_of_birth,
            country=input.country,
            currency=input.currency,
            locale=input.locale,
            deposit_limit=RegistrationLimit(input.deposit_limit.period, input.deposit_limit.amount)
            if input.deposit_limit
            else None,
            tracking_code=input.tracking_code,
        )
        player = Player.from_model(outcome.value) if outcome.value else None
        return RegisterPayload(player=player, errors=to_errors(RegisterError, outcome.errors))

    @strawberry.mutation(description="Sign a player in with email, phone or username.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        outcome = await auth.login_player(
            info.context,
            input.identifier,
            input.password,
            SessionTransportModel(input.transport.value),
            withdraw_only=input.withdraw_only,
        )
        signed_in = outcome.value
        return LoginPayload(
            token=signed_in.token if signed_in else None,
            two_factor_required=bool(signed_in and signed_in.two_factor_required),
            errors=to_errors(LoginError, outcome.errors),
        )

    @strawberry.mutation(description="Sign a staff member in (a TOTP step always follows).")
    async def staff_login(self, info: Info, input: StaffLoginInput) -> StaffLoginPayload:
        outcome = await auth.login_staff(
            info.context, input.email, input.password, SessionTransportModel(input.transport.value)
        )
        signed_in = outcome.value
        return StaffLoginPayload(
            token=signed_in.token if signed_in else None,
            two_factor_required=bool(signed_in and signed_in.two_factor_required),
            errors=to_errors(StaffLoginError, outcome.errors),
        )

    @strawberry.mutation(
        description="Finish signing in with a TOTP code; replaces the session. Staff who "
        "began enrolment send the first code of their new secret (it turns 2FA on)."
    )
    async def complete_two_factor(
        self, info: Info, input: CompleteTwoFactorInput
    ) -> CompleteTwoFactorPayload:
        outcome = await auth.complete_two_factor(info.context, input.code)
        return CompleteTwoFactorPayload(
            token=outcome.value.token if outcome.value else None,
            errors=to_errors(CompleteTwoFactorError, outcome.errors),
        )

    @strawberry.mutation(description="Sign out: revoke the current session.")
    async def logout(self, info: Info) -> LogoutPayload:
        outcome = await auth.logout(info.context)
        return LogoutPayload(signed_out=outcome.ok, errors=to_errors(LogoutError, outcome.errors))

    @strawberry.mutation(description="Revoke the viewer's sessions (all, or all but this one).")
    async def revoke_my_sessions(
        self, info: Info, input: RevokeMySessionsInput
    ) -> RevokeMySessionsPayload:
        outcome = await auth.revoke_my_sessions(info.context, keep_current=input.keep_current)
        return RevokeMySessionsPayload(
            revoked_count=outcome.value or 0,
            errors=to_errors(RevokeMySessionsError, outcome.errors),
        )

    @strawberry.mutation(description="Start TOTP enrolment: returns a secret to scan.")
    async def begin_two_factor_enrolment(self, info: Info) -> BeginTwoFactorEnrolmentPayload:
        outcome = await auth.begin_two_factor(info.context)
        enrolment = outcome.value
        return BeginTwoFactorEnrolmentPayload(
            secret=enrolment.secret if enrolment else None,
            provisioning_uri=enrolment.provisioning_uri if enrolment else None,
            errors=to_errors(BeginTwoFactorEnrolmentError, outcome.errors),
        )

    @strawberry.mutation(description="Turn TOTP on with a first code from the new secret.")
    async def confirm_two_factor_enrolment(
        self, info: Info, input: TwoFactorCodeInput
    ) -> ConfirmTwoFactorEnrolmentPayload:
        outcome = await auth.confirm_two_factor(info.context, input.code)
        return ConfirmTwoFactorEnrolmentPayload(
            enabled=outcome.ok,
            token=outcome.value.token if outcome.value else None,
            errors=to_errors(ConfirmTwoFactorEnrolmentError, outcome.errors),
        )

    @strawberry.mutation(description="Turn TOTP off (players only; staff must keep it).")
    async def disable_two_factor(
        self, info: Info, input: TwoFactorCodeInput
    ) -> DisableTwoFactorPayload:
        outcome = await auth.disable_two_factor(info.context, input.code)
        return DisableTwoFactorPayload(
            disabled=outcome.ok, errors=to_errors(DisableTwoFactorError, outcome.errors)
        )

    @strawberry.mutation(description="Change the viewer's password; other sessions are revoked.")
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        outcome = await auth.change_password(
            info.context, input.current_password, input.new_password
        )
        return ChangePasswordPayload(
            changed=outcome.ok, errors=to_errors(ChangePasswordError, outcome.errors)
        )

    @strawberry.mutation(
        description="Staff (player.status.write): suspend, self-exclude, close or reactivate."
    )
    async def set_player_status(
        self, info: Info, input: SetPlayerStatusInput
    ) -> SetPlayerStatusPayload:
        outcome = await players.set_player_status(
            info.context,
            _node_uuid(input.player_id, "Player"),  # type: ignore[arg-type]
            input.status,
            input.reason,
        )
        player = Player.from_model(outcome.value) if outcome.value else None
        return SetPlayerStatusPayload(
            player=player, errors=to_errors(SetPlayerStatusError, outcome.errors)
        )

    @strawberry.mutation(
        description="Staff (player.sessions.revoke): sign a player out everywhere."
    )
    async def revoke_player_sessions(
        self, info: Info, input: RevokePlayerSessionsInput
    ) -> RevokePlayerSessionsPayload:
        outcome = await players.revoke_player_sessions(
            info.context,
            _node_uuid(input.player_id, "Player"),  # type: ignore[arg-type]
        )
        return RevokePlayerSessionsPayload(
            revoked_count=outcome.value or 0,
            errors=to_errors(RevokePlayerSessionsError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (staff.manage): create a staff member with a one-time password."
    )
    async def create_staff_member(
        self, info: Info, input: CreateStaffMemberInput
    ) -> CreateStaffMemberPayload:
        outcome = await players.create_staff_member(
            info.context,
            input.email,
            [role.value for role in input.roles],
            input.brands,
        )
        created = outcome.value
        return CreateStaffMemberPayload(
            staff_member=StaffMember.from_model(created.staff) if created else None,
            one_time_password=created.one_time_password if created else None,
            errors=to_errors(CreateStaffMemberError, outcome.errors),
        )

    @strawberry.mutation(description="Staff (staff.manage): replace a staff member's roles.")
    async def set_staff_roles(self, info: Info, input: SetStaffRolesInput) -> SetStaffRolesPayload:
        outcome = await players.set_staff_roles(
            info.context,
            _node_uuid(input.staff_id, "StaffMember"),  # type: ignore[arg-type]
            [role.value for role in input.roles],
        )
        member = StaffMember.from_model(outcome.value) if outcome.value else None
        return SetStaffRolesPayload(
            staff_member=member, errors=to_errors(SetStaffRolesError, outcome.errors)
        )

    @strawberry.mutation(
        description="Player: exclude yourself from play at once, for a period or for good, "
        "on this brand and every other brand of the operator where you have an account (the "
        "same e-mail and date of birth). It cannot be lifted before it ends; what happens at "
        "the end follows the brand's jurisdiction; every session ends now."
    )
    async def self_exclude(self, info: Info, input: SelfExcludeInput) -> SelfExcludePayload:
        outcome = await players.self_exclude(info.context, input.period, input.confirm)
        exclusion = outcome.value
        return SelfExcludePayload(
            excluded=exclusion is not None,
            excluded_until=exclusion.until if exclusion else None,
            errors=to_errors(SelfExcludeError, outcome.errors),
        )
