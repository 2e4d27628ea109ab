"""Payments errors. Codes are stable: clients and the GraphQL error enums rely on them."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class PaymentNotFound(DomainError):
    code = "PAYMENT_NOT_FOUND"
    message = "No such payment on this brand."


class WithdrawalAlreadyReviewed(DomainError):
    code = "WITHDRAWAL_ALREADY_REVIEWED"
    message = "This withdrawal has already been approved or rejected."


class CurrencyMismatch(DomainError):
    code = "CURRENCY_MISMATCH"
    message = "Payments are in the currency of the player's wallet."


class AmountMismatch(DomainError):
    """A PSP event whose amount or currency differs from the payment's: nothing is credited
    and it is left for a person to reconcile."""

    code = "AMOUNT_MISMATCH"
    message = "The provider reported a different amount for this payment."


class ReasonTooLong(DomainError):
    code = "REASON_TOO_LONG"
    message = "Keep the reason to 500 characters."
