"""Reporting's domain errors (stable codes, mapped to typed GraphQL errors)."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class InvalidRange(DomainError):
    code = "INVALID_RANGE"
    message = "The range must start on or before its end and span at most 400 days."


class TooManyGroups(DomainError):
    code = "TOO_MANY_GROUPS"
    message = "The report has more groups than allowed: narrow the range, filters or dimensions."


class InvalidCursor(DomainError):
    code = "INVALID_CURSOR"
    message = "The cursor is not one this report returned."
