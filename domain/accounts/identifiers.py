"""Normalising and recognising sign-in identifiers: email, phone (E.164) or username."""

from __future__ import annotations

import re
from enum import StrEnum

from domain.accounts.errors import InvalidEmail, InvalidPhone, InvalidUsername

_EMAIL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")
_USERNAME = re.compile(r"^[a-z][a-z0-9._]{2,29}$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
EMAIL_LENGTH_MAX = 254


class IdentifierKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    USERNAME = "username"


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > EMAIL_LENGTH_MAX or not _EMAIL.match(email) or ".." in email:
        raise InvalidEmail(field="email")
    return email


def normalise_phone(value: str) -> str:
    phone = _PHONE_SEPARATORS.sub("", value.strip())
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _PHONE.match(phone):
        raise InvalidPhone(field="phone")
    return phone


def normalise_username(value: str) -> str:
    username = value.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidUsername(field="username")
    return username


def classify(identifier: str) -> tuple[IdentifierKind, str] | None:
    """Which kind of identifier a sign-in string is, normalised; None if it is none of them."""
    value = identifier.strip()
    try:
        if "@" in value:
            return IdentifierKind.EMAIL, normalise_email(value)
        if value[:1] in "+0123456789" and value:
            return IdentifierKind.PHONE, normalise_phone(value)
        return IdentifierKind.USERNAME, normalise_username(value)
    except (InvalidEmail, InvalidPhone, InvalidUsername):
        return None
