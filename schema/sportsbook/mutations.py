"""Sportsbook mutations: placeBet and cashOut. Each takes one `input` and returns
`{ <result>, errors }`; the placement service's typed refusals become PlaceBetErrorCode."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError, InvalidGlobalIDError

from domain.accounts import errors as account_errors
from domain.bonuses import errors as bonus_errors
from domain.compliance import errors as compliance_errors
from domain.compliance.kyc.errors import VerificationRequired
from domain.kernel.errors import DomainError, PermissionDenied
from domain.sportsbook import cashout, models
from domain.sportsbook import errors as sportsbook_errors
from domain.sportsbook.placement import BetSlip, Selection
from domain.wallets import errors as wallet_errors
from resolvers.context import Context
from resolvers.sportsbook import bets as bet_resolvers
from resolvers.wallets.adjustments import amount_minor
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.extensions import direct
from schema.ids import int_of
from schema.money import DecimalText, Money, MoneyInput
from schema.selection import selects
from schema.sportsbook.types import Bet, odds_display_field, odds_value


@mutation_error(
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PlayerNotFound,
    compliance_errors.PlayerBlocked,
    compliance_errors.AccountSuspended,
    compliance_errors.SelfExcluded,
    compliance_errors.AccountClosed,
    VerificationRequired,
    compliance_errors.TimedOut,
    compliance_errors.WagerLimitReached,
    compliance_errors.LossLimitReached,
    compliance_errors.SessionLimitReached,
    sportsbook_errors.InvalidBet,
    sportsbook_errors.InvalidOdds,
    sportsbook_errors.SelectionNotFound,
    sportsbook_errors.SelectionSuspended,
    sportsbook_errors.OddsChanged,
    sportsbook_errors.SameEventCombination,
    sportsbook_errors.EachWayUnavailable,
    sportsbook_errors.StakeTooLow,
    sportsbook_errors.StakeTooHigh,
    sportsbook_errors.MaxPayoutExceeded,
    sportsbook_errors.LiabilityLimitExceeded,
    sportsbook_errors.BonusMaxBetExceeded,
    bonus_errors.FreeBetStakeMismatch,
    bonus_errors.FreeBetOddsTooLow,
    bonus_errors.FreeBetNotEligible,
    sportsbook_errors.PricesMoving,
    wallet_errors.InsufficientFunds,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
    wallet_errors.IdempotencyConflict,
    wallet_errors.InvalidIdempotencyKey,
)
class PlaceBetError(MutationError): ...


@mutation_error(
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PlayerNotFound,
    sportsbook_errors.BetNotFound,
    cashout.CashOutUnavailable,
    cashout.CashOutValueChanged,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
    wallet_errors.IdempotencyConflict,
    wallet_errors.InvalidIdempotencyKey,
)
class CashOutError(MutationError): ...


@strawberry.enum(description="Full-cover systems by name, or CUSTOM k-folds from n.")
class BetSystem(Enum):
    TRIXIE = "trixie"
    PATENT = "patent"
    YANKEE = "yankee"
    LUCKY15 = "lucky15"
    CANADIAN = "canadian"
    LUCKY31 = "lucky31"
    HEINZ = "heinz"
    LUCKY63 = "lucky63"
    SUPER_HEINZ = "super_heinz"
    GOLIATH = "goliath"
    CUSTOM = "custom"


@strawberry.input
class BetSelectionInput:
    outcome: relay.GlobalID
    odds: DecimalText = strawberry.field(description="The decimal odds the player saw.")


@strawberry.input
class PlaceBetInput:
    selections: list[BetSelectionInput]
    type: models.BetType
    system: BetSystem | None = strawberry.field(default=None, description="SYSTEM bets only.")
    system_folds: int | None = strawberry.field(
        default=None,
        description="CUSTOM systems: k, the size of each combination (n is the number of "
        "selections).",
    )
    stake: MoneyInput = strawberry.field(
        description="Per line (and per part, each-way), in the account's currency."
    )
    each_way: bool = False
    free_bet: bool = strawberry.field(default=False, description="Stake from free-bet funds.")
    odds_policy: models.OddsPolicy = models.OddsPolicy.NONE
    idempotency_key: str = strawberry.field(
        description="1-200 printable ASCII characters. Resending the same input with the same "
        "key returns the first bet and stakes nothing again."
    )


@strawberry.type(description="An outcome's odds now (after ODDS_CHANGED).")
class SelectionOdds:
    outcome: relay.GlobalID
    odds: Decimal

    display: str = odds_display_field()


@strawberry.type
class PlaceBetPayload:
    bet: Bet | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when this key was already used for this input."
    )
    current_odds: list[SelectionOdds] = strawberry.field(
        default_factory=list, description="ODDS_CHANGED: the odds now of the selection at fault."
    )
    errors: list[PlaceBetError]


@strawberry.input
class CashOutInput:
    bet: relay.GlobalID
    expected_value: MoneyInput = strawberry.field(
        description="The cash-out value the player was shown; a lower value now is refused "
        "(CASH_OUT_VALUE_CHANGED), a higher one is paid."
    )
    idempotency_key: str


@strawberry.type
class CashOutPayload:
    bet: Bet | None = None
    payout: Money | None = None
    replayed: bool = False
    current_value: Money | None = strawberry.field(
        default=None, description="CASH_OUT_VALUE_CHANGED: the value now."
    )
    errors: list[CashOutError]


def _outcome_id(global_id: relay.GlobalID) -> int | None:
    return int_of(global_id, "Outcome")


def _slip(input: PlaceBetInput) -> BetSlip:
    """The slip of `input`, its stake parsed once. Errors: SelectionNotFound, InvalidBet,
    UnsupportedCurrency, InvalidAmount."""
    selections = []
    for selection in input.selections:
        outcome_id = _outcome_id(selection.outcome)
        if outcome_id is None:
            raise sportsbook_errors.SelectionNotFound(field="selections")
        selections.append(Selection(outcome_id, odds_value(selection.odds)))
    system = input.system.value if input.system else None
    if input.system is BetSystem.CUSTOM:
        if input.system_folds is None:
            raise sportsbook_errors.InvalidBet("Name k for a custom system.", field="systemFolds")
        system = f"{input.system_folds}/{len(selections)}"
    return BetSlip(
        selections=tuple(selections),
        stake_minor=amount_minor(input.stake.amount, input.stake.currency, field="stake"),
        stake_currency=input.stake.currency,
        bet_type=input.type,
        idempotency_key=input.idempotency_key,
        system=system,
        each_way=input.each_way,
        free_bet=input.free_bet,
        odds_policy=input.odds_policy,
    )


async def _bet(info: Info, bet_id: int) -> Bet | None:
    """The payload's bet, read back with what the payload shows of its legs."""
    view = await bet_resolvers.bet_view(
        info.context,
        bet_id,
        legs=selects(info, "bet", "legs"),
        outcomes=selects(info, "bet", "legs", "outcome"),
    )
    return Bet.from_view(view) if view is not None else None


def _current_odds(errors: list[DomainError]) -> list[SelectionOdds]:
    return [
        SelectionOdds(outcome=relay.GlobalID("Outcome", str(e.outcome_id)), odds=e.current_odds)
        for e in errors
        if isinstance(e, sportsbook_errors.OddsChanged)
    ]


async def _place(context: Context, input: PlaceBetInput) -> PlaceBetPayload:
    try:
        slip = _slip(input)
    except DomainError as error:
        return PlaceBetPayload(errors=to_errors(PlaceBetError, [error]))
    outcome = await bet_resolvers.place(context, slip)
    placement = outcome.value
    if placement is None:
        return PlaceBetPayload(
            errors=to_errors(PlaceBetError, outcome.errors),
            current_odds=_current_odds(outcome.errors),
        )
    return PlaceBetPayload(
        bet=Bet.from_view(placement.view), replayed=placement.placed.replayed, errors=[]
    )


# placeBet's input as graphql-core coerced it (GraphQL names; enums, defaults and the
# DecimalText scalar already applied) turned into `PlaceBetInput` directly: strawberry's
# generic argument conversion walks the input's type per value and cost about a tenth of
# the call's CPU. The same values as strawberry builds (tests/schema/test_direct_resolvers.py).
def _global_id(value: str) -> relay.GlobalID:
    try:
        return relay.GlobalID.from_id(value)
    except GlobalIDValueError as error:
        # As strawberry answers an ID argument that is no global id.
        raise InvalidGlobalIDError(f'Value cannot represent a GlobalID: "{value}".') from error


def _place_bet_input(value: Mapping[str, Any]) -> PlaceBetInput:
    stake = value["stake"]
    return PlaceBetInput(
        selections=[
            BetSelectionInput(outcome=_global_id(item["outcome"]), odds=item["odds"])
            for item in value["selections"]
        ],
        type=value["type"],
        system=value.get("system"),
        system_folds=value.get("systemFolds"),
        stake=MoneyInput(amount=stake["amount"], currency=stake["currency"]),
        each_way=value["eachWay"],
        free_bet=value["freeBet"],
        odds_policy=value["oddsPolicy"],
        idempotency_key=value["idempotencyKey"],
    )


async def _place_bet_direct(_root: Any, info: Any, input: Mapping[str, Any]) -> PlaceBetPayload:
    return await _place(info.context, _place_bet_input(input))


@strawberry.type
class SportsbookMutation:
    @strawberry.mutation(
        description="Player: place a bet. Refusals are typed (PlaceBetErrorCode) and change "
        "nothing; a bet on a live event may come back PENDING (live-bet delay), then "
        "`betUpdated` tells when it is accepted or refused.",
        metadata=direct(_place_bet_direct),
    )
    async def place_bet(self, info: Info, input: PlaceBetInput) -> PlaceBetPayload:
        return await _place(info.context, input)

    @strawberry.mutation(
        description="Player: cash out an open single or multiple at its value now, paid to "
        "the wallets that paid the stake."
    )
    async def cash_out(self, info: Info, input: CashOutInput) -> CashOutPayload:
        bet_id = int_of(input.bet, "Bet")
        expected = (input.expected_value.amount, input.expected_value.currency)
        outcome = await bet_resolvers.cash_out(
            info.context, bet_id, expected=expected, idempotency_key=input.idempotency_key
        )
        done = outcome.value
        if done is None:
            changed = [e for e in outcome.errors if isinstance(e, cashout.CashOutValueChanged)]
            current = (
                Money.of(changed[0].current_value_minor, changed[0].currency) if changed else None
            )
            return CashOutPayload(
                errors=to_errors(CashOutError, outcome.errors), current_value=current
            )
        return CashOutPayload(
            bet=await _bet(info, done.bet_id),
            payout=Money.of(done.value_minor, done.currency),
            replayed=done.replayed,
            errors=[],
        )
