"""Keyset paging, once for every context: page-size checks and opaque cursors.

A cursor is the position after which the next page starts: a version and a small tuple of
typed values (instant, id, uuid, text), joined by `|` and base64url-encoded without padding.
Text values are percent-quoted so a `|` in them never splits a field. Decoding is strict
and bounded: anything this API did not issue (wrong version, wrong field count, a naive
time, a non-canonical number or uuid, an id outside bigint) is `InvalidCursor`, and the
text is length-checked before any work, so a forged cursor costs constant time.

Contexts keep their own cursor dataclasses (the fields their order needs) and call
`encode_cursor` / `decode_cursor` with their own version tag.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Generic, TypeAlias, TypeVar, overload
from urllib.parse import quote, unquote

from domain.kernel.errors import DomainError

PAGE_SIZE_MAX: Final = 100
# Every cursor we issue is far shorter (a game name is at most a few hundred characters
# quoted); past this, refuse before decoding anything.
CURSOR_LENGTH_MAX: Final = 2_048
# Ids are bigint: a larger number in a forged cursor would fail in the database.
BIGINT_MAX: Final = 2**63 - 1
# Canonical digits only: no sign, no leading zero, no other script's digits, no `_`.
_DIGITS = re.compile(r"[1-9][0-9]{0,18}")

CursorValue: TypeAlias = datetime | int | uuid.UUID | str
T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


class InvalidCursor(DomainError):
    code = "INVALID_CURSOR"
    message = "The cursor is not one this API issued."


class InvalidPageSize(DomainError):
    code = "INVALID_PAGE_SIZE"
    message = f"Ask for 1 to {PAGE_SIZE_MAX} items per page."


def check_page_size(first: int, *, field: str = "first") -> None:
    """A page holds 1 to PAGE_SIZE_MAX items; a bool is not a size. Errors: InvalidPageSize."""
    if type(first) is not int or not 1 <= first <= PAGE_SIZE_MAX:
        raise InvalidPageSize(field=field)


@dataclass(frozen=True)
class CursorField(Generic[T]):
    """How one value of a cursor is read back; `parse` raises ValueError on anything that
    `encode_cursor` would not have written."""

    parse: Callable[[str], T]


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    # Issued cursors carry the zone and the isoformat text exactly.
    if value.tzinfo is None or value.isoformat() != text:
        raise ValueError("not an instant this API wrote")
    return value


def _id(text: str) -> int:
    if not _DIGITS.fullmatch(text):
        raise ValueError("not an id")
    value = int(text)
    if not 1 <= value <= BIGINT_MAX:
        raise ValueError("id out of range")
    return value


def _uuid(text: str) -> uuid.UUID:
    value = uuid.UUID(text)
    if str(value) != text:
        raise ValueError("not a canonical uuid")
    return value


def _text(text: str) -> str:
    value = unquote(text, errors="strict")
    if quote(value, safe="") != text:
        raise ValueError("not text this API quoted")
    return value


INSTANT: Final = CursorField(_instant)
ID: Final = CursorField(_id)
UUID: Final = CursorField(_uuid)
TEXT: Final = CursorField(_text)


def _format(value: CursorValue) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    # bool is an int subclass: a True written as "True" would never read back as an id.
    if isinstance(value, bool):
        raise TypeError("a bool is not a cursor value")
    if isinstance(value, int | uuid.UUID):
        return str(value)
    return quote(value, safe="")


def encode_cursor(version: str, *values: CursorValue) -> str:
    """The opaque text of a position: base64url of `version|value|...`, unpadded."""
    raw = "|".join([version, *map(_format, values)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_payload(text: str, *, field: str = "after") -> str:
    """The decoded text of a cursor, bounded; for a context reading a legacy format.
    Errors: InvalidCursor."""
    if type(text) is not str or not 0 < len(text) <= CURSOR_LENGTH_MAX:
        raise InvalidCursor(field=field)
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor(field=field) from None


def cursor_version(text: str, *, field: str = "after") -> str:
    """The version tag of a cursor, for a context that still accepts an older one.
    Errors: InvalidCursor."""
    return cursor_payload(text, field=field).partition("|")[0]


@overload
def decode_cursor(text: str, version: str, a: CursorField[A], /) -> tuple[A]: ...
@overload
def decode_cursor(
    text: str, version: str, a: CursorField[A], b: CursorField[B], /
) -> tuple[A, B]: ...
@overload
def decode_cursor(
    text: str, version: str, a: CursorField[A], b: CursorField[B], c: CursorField[C], /
) -> tuple[A, B, C]: ...
def decode_cursor(text: str, version: str, *kinds: CursorField[Any]) -> tuple[Any, ...]:
    """The values of a cursor of `version` whose fields are `kinds`. Errors: InvalidCursor."""
    found, *fields = cursor_payload(text).split("|")
    if found != version or len(fields) != len(kinds):
        raise InvalidCursor(field="after")
    try:
        return tuple(kind.parse(raw) for kind, raw in zip(kinds, fields, strict=True))
    except (ValueError, UnicodeError):
        raise InvalidCursor(field="after") from None
