from __future__ import annotations

from domain.kernel.errors import DomainError


class InsufficientFunds(DomainError):
    code = "INSUFFICIENT_FUNDS"
    message = "The balance is too low for this."

    def __init__(self, balance_minor: int | None = None) -> None:
        super().__init__(field="amount")
        self.balance_minor = balance_minor


class IdempotencyConflict(DomainError):
    code = "IDEMPOTENCY_CONFLICT"
    message = "This idempotency key was already used for a different request."


class InvalidAmount(DomainError):
    code = "INVALID_AMOUNT"
    message = "The amount must be positive and use the currency's minor units."


class UnsupportedCurrency(DomainError):
    code = "UNSUPPORTED_CURRENCY"
    message = "The wallet does not hold that currency."


class InvalidIdempotencyKey(DomainError):
    code = "INVALID_IDEMPOTENCY_KEY"
    message = "Idempotency keys are 1-200 printable characters."
