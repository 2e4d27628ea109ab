"""Accounts errors. Codes are stable: clients and the GraphQL error enums rely on them."""

from __future__ import annotations

from collections.abc import Sequence

from domain.kernel.errors import DomainError


class InvalidInput(DomainError):
    """Several field errors found at once, so a form can show them together."""

    code = "INVALID_INPUT"
    message = "Some fields are invalid."

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__()
        self.errors = list(errors)


class InvalidEmail(DomainError):
    code = "INVALID_EMAIL"
    message = "Enter a valid email address."


class InvalidPhone(DomainError):
    code = "INVALID_PHONE"
    message = "Enter a phone number in international format, e.g. +447700900123."


class InvalidUsername(DomainError):
    code = "INVALID_USERNAME"
    message = "Usernames are 3-30 letters, digits, dots or underscores and start with a letter."


class IdentifierRequired(DomainError):
    code = "IDENTIFIER_REQUIRED"
    message = "Give an email address, a phone number or a username."


class IdentifierTaken(DomainError):
    code = "IDENTIFIER_TAKEN"
    message = "This is already registered on this site."


class PasswordTooShort(DomainError):
    code = "PASSWORD_TOO_SHORT"
    message = "Passwords need at least 10 characters."


class PasswordTooLong(DomainError):
    code = "PASSWORD_TOO_LONG"
    message = "Passwords can have at most 128 characters."


class PasswordTooWeak(DomainError):
    code = "PASSWORD_TOO_WEAK"
    message = "This password is too easy to guess; choose another."


class Underage(DomainError):
    code = "UNDERAGE"
    message = "You must be of legal gambling age to register."


class InvalidDateOfBirth(DomainError):
    code = "INVALID_DATE_OF_BIRTH"
    message = "Enter a real date of birth."


class InvalidCountry(DomainError):
    code = "INVALID_COUNTRY"
    message = "Registration from this country is not available on this site."


class UnsupportedCurrency(DomainError):
    code = "UNSUPPORTED_CURRENCY"
    message = "This site does not offer that currency."


class UnsupportedLocale(DomainError):
    code = "UNSUPPORTED_LOCALE"
    message = "This site does not offer that language."


class UnsupportedOddsFormat(DomainError):
    code = "UNSUPPORTED_ODDS_FORMAT"
    message = "Choose decimal, fractional or American odds."


class InvalidCredentials(DomainError):
    # The same reply for an unknown account and a wrong password.
    code = "INVALID_CREDENTIALS"
    message = "The sign-in details are not correct."


class LoginThrottled(DomainError):
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many failed attempts. Wait a few minutes and try again."


class RegistrationThrottled(DomainError):
    # The code sign-in uses too: one "slow down" for clients to handle.
    code = "TOO_MANY_ATTEMPTS"
    message = "Too many registration attempts. Wait a few minutes and try again."


class AccountClosed(DomainError):
    code = "ACCOUNT_CLOSED"
    message = "This account is closed."


class TwoFactorRequired(DomainError):
    code = "TWO_FACTOR_REQUIRED"
    message = "Complete two-factor authentication first."


class StepUpCodeRequired(DomainError):
    # The code of TwoFactorRequired: a second factor is owed, here for one action.
    code = "TWO_FACTOR_REQUIRED"
    message = "Enter the code from your authenticator app to confirm."


class InvalidTwoFactorCode(DomainError):
    code = "INVALID_TWO_FACTOR_CODE"
    message = "The code is not correct or has already been used."


class TwoFactorEnrolmentRequired(DomainError):
    code = "TWO_FACTOR_ENROLMENT_REQUIRED"
    message = (
        "Set up two-factor authentication first (beginTwoFactorEnrolment), then send its code."
    )


class TwoFactorAlreadyEnabled(DomainError):
    code = "TWO_FACTOR_ALREADY_ENABLED"
    message = "Two-factor authentication is already on."


class TwoFactorNotEnabled(DomainError):
    code = "TWO_FACTOR_NOT_ENABLED"
    message = "Two-factor authentication is not on."


class TwoFactorMandatory(DomainError):
    code = "TWO_FACTOR_MANDATORY"
    message = "Staff accounts must keep two-factor authentication on."


class PasswordChangeRequired(DomainError):
    code = "PASSWORD_CHANGE_REQUIRED"
    message = "Choose a new password before continuing."


class InvalidRole(DomainError):
    code = "INVALID_ROLE"
    message = "Unknown role."


class StaffEmailTaken(DomainError):
    code = "EMAIL_TAKEN"
    message = "A staff user with this email exists."


class PlayerNotFound(DomainError):
    code = "PLAYER_NOT_FOUND"
    message = "No such player on this brand."


class SelfExclusionActive(DomainError):
    code = "SELF_EXCLUSION_ACTIVE"
    message = "A self-exclusion cannot be lifted before it ends."


class ConfirmationRequired(DomainError):
    code = "CONFIRMATION_REQUIRED"
    message = "Confirm that you understand this cannot be undone before it ends."


class InvalidToken(DomainError):
    # One reply for unknown, used and expired tokens: a guess learns nothing.
    code = "INVALID_TOKEN"
    message = "This link is invalid or has expired. Ask for a new one."


class EmailAlreadyVerified(DomainError):
    code = "EMAIL_ALREADY_VERIFIED"
    message = "Your e-mail address is already verified."


class NoEmailAddress(DomainError):
    code = "NO_EMAIL_ADDRESS"
    message = "The account has no e-mail address."


class RecoveryThrottled(DomainError):
    code = "TOO_MANY_REQUESTS"
    message = "Too many requests. Wait a few minutes and try again."


class InvalidNote(DomainError):
    code = "INVALID_NOTE"
    message = "A note is 1 to 2,000 characters of text."


class NoPhoneNumber(DomainError):
    code = "NO_PHONE_NUMBER"
    message = "The account has no phone number."


class PhoneAlreadyVerified(DomainError):
    code = "PHONE_ALREADY_VERIFIED"
    message = "Your phone number is already verified."


class InvalidPhoneCode(DomainError):
    # One reply for a wrong, used and expired code: a guess learns nothing.
    code = "INVALID_CODE"
    message = "This code is wrong or has expired. Ask for a new one."
