"""Account recovery by e-mail: verify the address, reset a forgotten password; and
verifying the phone number by a code sent in a text message."""

from __future__ import annotations

import strawberry

from domain.accounts import errors as account_errors
from resolvers.accounts import recovery
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors

E = account_errors


@mutation_error(E.InvalidToken)
class VerifyEmailError(MutationError): ...


# What a signed-in player's own request to confirm a contact detail can meet: a session still
# owing its second factor, an account gone since, the throttle on messages sent.
_PLAYER_REQUEST_ERRORS = (E.TwoFactorRequired, E.PlayerNotFound, E.RecoveryThrottled)
# Both phone steps also need a phone on the profile that is not verified yet.
_PHONE_ERRORS = (*_PLAYER_REQUEST_ERRORS, E.NoPhoneNumber, E.PhoneAlreadyVerified)


@mutation_error(*_PLAYER_REQUEST_ERRORS, E.NoEmailAddress, E.EmailAlreadyVerified)
class ResendVerificationEmailError(MutationError): ...


@mutation_error(E.InvalidEmail, E.RecoveryThrottled)
class RequestPasswordResetError(MutationError): ...


@mutation_error(E.InvalidToken, E.PasswordTooShort, E.PasswordTooLong, E.PasswordTooWeak)
class ResetPasswordError(MutationError): ...


@mutation_error(*_PHONE_ERRORS)
class SendPhoneVerificationCodeError(MutationError): ...


@mutation_error(*_PHONE_ERRORS, E.InvalidPhoneCode)
class VerifyPhoneError(MutationError): ...


@strawberry.type
class SendPhoneVerificationCodePayload:
    sent: bool = False
    errors: list[SendPhoneVerificationCodeError]


@strawberry.input
class VerifyPhoneInput:
    code: str = strawberry.field(description="The six digits of the text message.")


@strawberry.type
class VerifyPhonePayload:
    verified: bool = False
    errors: list[VerifyPhoneError]


@strawberry.input
class VerifyEmailInput:
    token: str = strawberry.field(description="The token of the verification e-mail's link.")


@strawberry.type
class VerifyEmailPayload:
    verified: bool = False
    errors: list[VerifyEmailError]


@strawberry.type
class ResendVerificationEmailPayload:
    sent: bool = False
    errors: list[ResendVerificationEmailError]


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.type
class RequestPasswordResetPayload:
    accepted: bool = strawberry.field(
        default=False,
        description="True for every well-formed address, with an account here or not: "
        "the e-mail tells its owner what to do next.",
    )
    errors: list[RequestPasswordResetError]


@strawberry.input
class ResetPasswordInput:
    token: str = strawberry.field(description="The token of the reset e-mail's link.")
    new_password: str


@strawberry.type
class ResetPasswordPayload:
    reset: bool = False
    errors: list[ResetPasswordError]


@strawberry.type
class RecoveryMutation:
    @strawberry.mutation(
        description="Confirm the e-mail address with the token of the verification e-mail "
        "(single use, expires). No sign-in needed: the token proves it."
    )
    async def verify_email(self, info: Info, input: VerifyEmailInput) -> VerifyEmailPayload:
        outcome = await recovery.verify_email(info.context, input.token)
        return VerifyEmailPayload(
            verified=outcome.ok, errors=to_errors(VerifyEmailError, outcome.errors)
        )

    @strawberry.mutation(
        description="Player: send the verification e-mail again (throttled); its link "
        "replaces the earlier ones."
    )
    async def resend_verification_email(self, info: Info) -> ResendVerificationEmailPayload:
        outcome = await recovery.resend_verification_email(info.context)
        return ResendVerificationEmailPayload(
            sent=outcome.ok, errors=to_errors(ResendVerificationEmailError, outcome.errors)
        )

    @strawberry.mutation(
        description="Player: text a six-digit code to your profile's phone (throttled); the "
        "newest code voids the earlier ones and expires in minutes. Only a verified phone "
        "receives marketing text messages."
    )
    async def send_phone_verification_code(self, info: Info) -> SendPhoneVerificationCodePayload:
        outcome = await recovery.send_phone_verification_code(info.context)
        return SendPhoneVerificationCodePayload(
            sent=outcome.ok, errors=to_errors(SendPhoneVerificationCodeError, outcome.errors)
        )

    @strawberry.mutation(
        description="Player: verify your profile's phone with the code of the text message "
        "(single use; a few tries, then wait); `viewer.profile.phoneVerified` then holds."
    )
    async def verify_phone(self, info: Info, input: VerifyPhoneInput) -> VerifyPhonePayload:
        outcome = await recovery.verify_phone(info.context, input.code)
        return VerifyPhonePayload(
            verified=outcome.ok, errors=to_errors(VerifyPhoneError, outcome.errors)
        )

    @strawberry.mutation(
        description="Ask for a password reset e-mail. Answers the same whether or not the "
        "address has an account here; throttled per address and per client."
    )
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        outcome = await recovery.request_password_reset(info.context, input.email)
        return RequestPasswordResetPayload(
            accepted=outcome.ok, errors=to_errors(RequestPasswordResetError, outcome.errors)
        )

    @strawberry.mutation(
        description="Set a new password with the token of the reset e-mail (single use, "
        "short-lived). Every session of the player ends; sign in with the new password."
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        outcome = await recovery.reset_password(info.context, input.token, input.new_password)
        return ResetPasswordPayload(
            reset=outcome.ok, errors=to_errors(ResetPasswordError, outcome.errors)
        )
