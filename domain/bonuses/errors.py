"""Bonus errors with stable codes."""

from __future__ import annotations

from domain.kernel.errors import DomainError, NotFound


class OfferNotFound(NotFound):
    code = "OFFER_NOT_FOUND"
    message = "There is no such offer."


class GrantNotFound(NotFound):
    code = "GRANT_NOT_FOUND"
    message = "There is no such bonus."


class InvalidTerms(DomainError):
    code = "INVALID_TERMS"
    message = "These terms are not valid."


class WageringCapExceeded(DomainError):
    code = "WAGERING_CAP_EXCEEDED"
    message = "The jurisdiction caps the wagering requirement lower than this."


class MixedProductOffer(DomainError):
    code = "MIXED_PRODUCT_OFFER"
    message = "The jurisdiction does not allow an offer that mixes products."


class CodeTaken(DomainError):
    code = "CODE_TAKEN"
    message = "Another active offer uses this code."


class NotEligible(DomainError):
    code = "NOT_ELIGIBLE"
    message = "You are not eligible for this offer."


class AlreadyClaimed(DomainError):
    code = "ALREADY_CLAIMED"
    message = "You have already claimed this offer."


class NoQualifyingDeposit(DomainError):
    code = "NO_QUALIFYING_DEPOSIT"
    message = "Make a qualifying deposit to claim this offer."


class GrantNotActive(DomainError):
    code = "GRANT_NOT_ACTIVE"
    message = "This bonus has already ended."


class BonusMaxBetExceeded(DomainError):
    code = "BONUS_MAX_BET_EXCEEDED"
    message = "The stake is above the maximum bet of your active bonus."


class BonusForfeitUnconfirmed(DomainError):
    code = "BONUS_FORFEIT_UNCONFIRMED"
    message = "Withdrawing now forfeits your active bonuses: confirm with forfeitBonuses to go on."
