"""Domain errors: expected failures with a stable code, raised by services."""

from __future__ import annotations


class DomainError(Exception):
    """An expected failure. `code` is stable (clients switch on it); `field` names the input."""

    code: str = "INVALID"
    message: str = "The request is invalid."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or type(self).message
        self.field = field
        super().__init__(self.message)


class NotFound(DomainError):
    code = "NOT_FOUND"
    message = "Not found."


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"
    message = "You do not have permission to do this."


class NotAuthenticated(DomainError):
    code = "NOT_AUTHENTICATED"
    message = "Sign in to do this."


class ReasonRequired(DomainError):
    code = "REASON_REQUIRED"
    message = "Give a reason for this action."


class WithdrawOnly(DomainError):
    """A self-excluded player's withdraw-only session asked for something else (DESIGN.md
    section 6: they may see balances and history, withdraw and read messages)."""

    code = "WITHDRAW_ONLY"
    message = (
        "This account is self-excluded: you can see your balances and history, withdraw and "
        "contact support, nothing else."
    )
