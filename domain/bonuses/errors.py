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


class FreeRoundsNotAvailable(DomainError):
    code = "FREE_ROUNDS_NOT_AVAILABLE"
    message = "These free rounds cannot be played (used up, ended, or for another game)."


class FreeRoundsNotFound(NotFound):
    code = "FREE_ROUNDS_NOT_FOUND"
    message = "There are no such free rounds."


class FreeBetNotFound(NotFound):
    code = "FREE_BET_NOT_FOUND"
    message = "There is no such free bet."


class FreeBetStakeMismatch(DomainError):
    code = "FREE_BET_STAKE_MISMATCH"
    message = "A free bet is staked whole: make the stake your free bet's amount."


class FreeBetOddsTooLow(DomainError):
    code = "FREE_BET_ODDS_TOO_LOW"
    message = "Your free bet needs higher odds."


class FreeBetNotEligible(DomainError):
    code = "FREE_BET_NOT_ELIGIBLE"
    message = "Your free bet cannot be used on this sport or market."


class LoyaltyNotOffered(DomainError):
    code = "LOYALTY_NOT_OFFERED"
    message = "This brand has no loyalty programme."


class NotEnoughPoints(DomainError):
    code = "NOT_ENOUGH_POINTS"
    message = "You do not have that many loyalty points."


class BonusForfeitUnconfirmed(DomainError):
    code = "BONUS_FORFEIT_UNCONFIRMED"
    message = "Withdrawing now forfeits your active bonuses: confirm with forfeitBonuses to go on."
