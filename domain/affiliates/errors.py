"""Affiliates' domain errors (stable codes, mapped to typed GraphQL errors)."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class InvalidPlan(DomainError):
    code = "INVALID_PLAN"
    message = "The plan's terms do not fit its kind."


class InvalidTrackingCode(DomainError):
    code = "INVALID_TRACKING_CODE"
    message = "A tracking code is 1 to 64 letters, digits, '-' or '_'."


class TrackingCodeTaken(DomainError):
    code = "TRACKING_CODE_TAKEN"
    message = "This brand already has that tracking code."


class AffiliateNotFound(DomainError):
    code = "AFFILIATE_NOT_FOUND"
    message = "No such affiliate on this brand."


class MonthNotClosed(DomainError):
    code = "MONTH_NOT_CLOSED"
    message = "A statement is computed once the month has ended in the brand's time zone."


class LaterMonthStated(DomainError):
    code = "LATER_MONTH_STATED"
    message = (
        "A later month already has statements: months are stated in order, so carry-over "
        "is never lost."
    )


class InvalidMonth(DomainError):
    code = "INVALID_MONTH"
    message = "A month between the years 2000 and 9998."


class InvalidPostbackUrl(DomainError):
    code = "INVALID_POSTBACK_URL"
    message = "A postback URL is an https:// address of at most 500 characters on a public host."
