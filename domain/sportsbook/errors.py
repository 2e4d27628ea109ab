"""Sportsbook errors: expected failures with stable codes. A placement refusal names its
reason in the code, the selection at fault (`outcome_id`) where there is one, and the limit
or odds that applied, so a bet slip can show it and offer a fix."""

from __future__ import annotations

from decimal import Decimal

from domain.kernel.errors import DomainError


class BetRejected(DomainError):
    """Base of placement refusals."""

    code = "BET_REJECTED"
    message = "The bet was not accepted."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        outcome_id: int | None = None,
        limit_minor: int | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.outcome_id = outcome_id
        self.limit_minor = limit_minor


class InvalidBet(BetRejected):
    code = "INVALID_BET"
    message = "The bet is not valid."


class InvalidOdds(BetRejected):
    code = "INVALID_ODDS"
    message = "Odds are decimal, above 1, with at most four decimal places."


class SelectionNotFound(BetRejected):
    code = "SELECTION_NOT_FOUND"
    message = "A selection is not offered."


class SelectionSuspended(BetRejected):
    code = "SELECTION_SUSPENDED"
    message = "A selection's market is not taking bets right now."


class OddsChanged(BetRejected):
    code = "ODDS_CHANGED"
    message = "The odds have changed."

    def __init__(self, *, outcome_id: int, current_odds: Decimal) -> None:
        super().__init__(field="selections", outcome_id=outcome_id)
        self.current_odds = current_odds


class SameEventCombination(BetRejected):
    code = "SAME_EVENT_COMBINATION"
    message = "These selections cannot be combined: they are on the same event."


class EachWayUnavailable(BetRejected):
    code = "EACH_WAY_UNAVAILABLE"
    message = "Each-way is not offered on a selection's market."


class StakeTooLow(BetRejected):
    code = "STAKE_TOO_LOW"
    message = "The stake is below the minimum."


class StakeTooHigh(BetRejected):
    code = "STAKE_TOO_HIGH"
    message = "The stake is above the maximum."


class MaxPayoutExceeded(BetRejected):
    code = "MAX_PAYOUT_EXCEEDED"
    message = "The potential return is above the maximum payout."


class BonusMaxBetExceeded(BetRejected):
    code = "BONUS_MAX_BET_EXCEEDED"
    message = "The stake is above the maximum bet of your active bonus."


class LiabilityLimitExceeded(BetRejected):
    code = "LIABILITY_LIMIT_EXCEEDED"
    message = "The bet is above what we can accept on a selection."


class PricesMoving(BetRejected):
    code = "PRICES_MOVING"
    message = "The prices are moving too fast to place this bet; try again."


class BetNotFound(DomainError):
    code = "BET_NOT_FOUND"
    message = "No such bet."


class MarketNotFound(DomainError):
    code = "MARKET_NOT_FOUND"
    message = "No such market."


class InvalidResults(DomainError):
    code = "INVALID_RESULTS"
    message = "The results must name every outcome of the market, once."


class MarketAlreadySettled(DomainError):
    code = "MARKET_ALREADY_SETTLED"
    message = "The market was settled by another run: roll it back first."


class SettlementConflict(DomainError):
    code = "SETTLEMENT_CONFLICT"
    message = "This settlement run id was used for a different request."


class RollbackInProgress(DomainError):
    code = "ROLLBACK_IN_PROGRESS"
    message = "The market's settlement is being rolled back; try again when it is done."


class MarketNotSettled(DomainError):
    code = "MARKET_NOT_SETTLED"
    message = "The market has no settlement to roll back."
