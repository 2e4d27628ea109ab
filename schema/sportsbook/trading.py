"""Trading for staff: suspend and resume markets and events, override and release odds,
margins per market type, void bets (mutations), and liabilities per outcome (a query).

Each mutation takes one `input` with a mandatory reason (kept in the audit log) and returns
`{ <result>, errors }`; refusals, permission failures included, are typed and change
nothing."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.sportsbook import errors as sportsbook_errors
from domain.sportsbook import trading
from resolvers.permissions import HasPermission
from resolvers.sportsbook import catalog as catalog_resolvers
from resolvers.sportsbook import trading as trading_resolvers
from schema.context import Info
from schema.errors import MutationError, as_query_error, mutation_error, to_errors
from schema.ids import int_of
from schema.money import DecimalText, Money, decimal_or_nan
from schema.sportsbook.desk import DESK, REASON, STAFF_ERRORS, market_of
from schema.sportsbook.types import Bet, Market, Outcome, SportsbookEvent, odds_value


@mutation_error(*STAFF_ERRORS, sportsbook_errors.MarketNotFound, trading.MarketNotTradable)
class SuspendMarketError(MutationError): ...


@mutation_error(*STAFF_ERRORS, sportsbook_errors.MarketNotFound, trading.MarketNotTradable)
class ResumeMarketError(MutationError): ...


@mutation_error(*STAFF_ERRORS, trading.EventNotFound)
class SuspendEventError(MutationError): ...


@mutation_error(*STAFF_ERRORS, trading.EventNotFound)
class ResumeEventError(MutationError): ...


@mutation_error(
    *STAFF_ERRORS,
    sportsbook_errors.InvalidOdds,
    trading.OutcomeNotFound,
    trading.MarketNotTradable,
)
class OverrideOddsError(MutationError): ...


@mutation_error(*STAFF_ERRORS, trading.OutcomeNotFound, trading.MarketNotTradable)
class ReleaseOddsOverrideError(MutationError): ...


@mutation_error(*STAFF_ERRORS, trading.InvalidMargin)
class SetMarketMarginError(MutationError): ...


@mutation_error(*STAFF_ERRORS, sportsbook_errors.BetNotFound, trading.BetNotVoidable)
class VoidBetError(MutationError): ...


def _int_id(global_id: relay.GlobalID, type_name: str) -> int | None:
    return int_of(global_id, type_name)


# ---- inputs and payloads -----------------------------------------------------------------


@strawberry.input
class MarketSuspensionInput:
    market: relay.GlobalID = strawberry.field(description="The market's `id`.")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class SuspendMarketPayload:
    market: Market | None = None
    errors: list[SuspendMarketError]


@strawberry.type
class ResumeMarketPayload:
    market: Market | None = None
    errors: list[ResumeMarketError]


@strawberry.input
class EventSuspensionInput:
    event: relay.GlobalID = strawberry.field(description="The event's `id`.")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class SuspendEventPayload:
    event: SportsbookEvent | None = None
    markets: list[Market] = strawberry.field(
        default_factory=list, description="The markets this changed (already suspended: none)."
    )
    errors: list[SuspendEventError]


@strawberry.type
class ResumeEventPayload:
    event: SportsbookEvent | None = None
    markets: list[Market] = strawberry.field(
        default_factory=list,
        description="The markets this resumed: those a trader suspended, no others.",
    )
    errors: list[ResumeEventError]


@strawberry.input
class OverrideOddsInput:
    outcome: relay.GlobalID = strawberry.field(description="The outcome's `id`.")
    odds: DecimalText = strawberry.field(description='Decimal odds as a string, e.g. "2.75".')
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class OverrideOddsPayload:
    outcome: Outcome | None = None
    errors: list[OverrideOddsError]


@strawberry.input
class ReleaseOddsOverrideInput:
    outcome: relay.GlobalID = strawberry.field(description="The outcome's `id`.")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class ReleaseOddsOverridePayload:
    outcome: Outcome | None = None
    errors: list[ReleaseOddsOverrideError]


@strawberry.input
class SetMarketMarginInput:
    market_type: str = strawberry.field(description='The market type, e.g. "match_result".')
    margin: DecimalText = strawberry.field(
        description=f'A fraction from 0 to {trading.MARGIN_MAX}, at most four places, e.g. "0.05".'
    )
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class SetMarketMarginPayload:
    market_type: str | None = None
    margin: Decimal | None = strawberry.field(
        default=None, description="The margin now; prices follow from the next feed update."
    )
    errors: list[SetMarketMarginError]


@strawberry.input
class VoidBetInput:
    bet: relay.GlobalID = strawberry.field(description="The bet's `id`.")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class VoidBetPayload:
    bet: Bet | None = None
    errors: list[VoidBetError]


@strawberry.type(description="What the book pays if this outcome wins, per currency.")
class OutcomeLiability:
    outcome: Outcome
    liabilities: list[Money] = strawberry.field(
        description="Potential returns of the open bets on it, one per currency (none: [])."
    )


# ---- root fields -------------------------------------------------------------------------


async def _event_and_markets(
    info: Info, event_id: int | None, market_ids: list[int] | None
) -> tuple[SportsbookEvent | None, list[Market]]:
    if event_id is None or market_ids is None:
        return None, []
    event = await catalog_resolvers.event(info.context, event_id)
    markets = [await catalog_resolvers.market(info.context, i) for i in market_ids]
    return (
        SportsbookEvent.from_model(event) if event else None,
        [Market.from_model(row) for row in markets if row is not None],
    )


@strawberry.type
class TradingMutation:
    @strawberry.mutation(
        description=DESK + "suspend a market; it takes no bets, and the "
        "suspension holds against the feed until a trader resumes it. Audited."
    )
    async def suspend_market(
        self, info: Info, input: MarketSuspensionInput
    ) -> SuspendMarketPayload:
        outcome = await trading_resolvers.set_market_suspended(
            info.context, _int_id(input.market, "Market"), suspended=True, reason=input.reason
        )
        market = market_of(outcome.value)
        return SuspendMarketPayload(
            market=market, errors=to_errors(SuspendMarketError, outcome.errors)
        )

    @strawberry.mutation(
        description=DESK + "resume a suspended market, whatever suspended it. Audited."
    )
    async def resume_market(self, info: Info, input: MarketSuspensionInput) -> ResumeMarketPayload:
        outcome = await trading_resolvers.set_market_suspended(
            info.context, _int_id(input.market, "Market"), suspended=False, reason=input.reason
        )
        market = market_of(outcome.value)
        return ResumeMarketPayload(
            market=market, errors=to_errors(ResumeMarketError, outcome.errors)
        )

    @strawberry.mutation(
        description=DESK + "suspend every active market of an event. Audited per market."
    )
    async def suspend_event(self, info: Info, input: EventSuspensionInput) -> SuspendEventPayload:
        event_id = _int_id(input.event, "SportsbookEvent")
        outcome = await trading_resolvers.set_event_suspended(
            info.context, event_id, suspended=True, reason=input.reason
        )
        event, markets = await _event_and_markets(info, event_id, outcome.value)
        return SuspendEventPayload(
            event=event, markets=markets, errors=to_errors(SuspendEventError, outcome.errors)
        )

    @strawberry.mutation(
        description=DESK + "resume the markets of an event a trader suspended "
        "(those the feed suspended stay so). Audited per market."
    )
    async def resume_event(self, info: Info, input: EventSuspensionInput) -> ResumeEventPayload:
        event_id = _int_id(input.event, "SportsbookEvent")
        outcome = await trading_resolvers.set_event_suspended(
            info.context, event_id, suspended=False, reason=input.reason
        )
        event, markets = await _event_and_markets(info, event_id, outcome.value)
        return ResumeEventPayload(
            event=event, markets=markets, errors=to_errors(ResumeEventError, outcome.errors)
        )

    @strawberry.mutation(
        description=DESK + "set an outcome's odds by hand; they hold against "
        "feed updates until released. Audited."
    )
    async def override_odds(self, info: Info, input: OverrideOddsInput) -> OverrideOddsPayload:
        outcome = await trading_resolvers.override_odds(
            info.context,
            _int_id(input.outcome, "Outcome"),
            odds=odds_value(input.odds),
            reason=input.reason,
        )
        row = outcome.value
        return OverrideOddsPayload(
            outcome=Outcome.from_model(row) if row is not None else None,
            errors=to_errors(OverrideOddsError, outcome.errors),
        )

    @strawberry.mutation(
        description=DESK + "end an odds override; the feed's price (with the "
        "margin) returns. Audited."
    )
    async def release_odds_override(
        self, info: Info, input: ReleaseOddsOverrideInput
    ) -> ReleaseOddsOverridePayload:
        outcome = await trading_resolvers.release_odds_override(
            info.context, _int_id(input.outcome, "Outcome"), reason=input.reason
        )
        row = outcome.value
        return ReleaseOddsOverridePayload(
            outcome=Outcome.from_model(row) if row is not None else None,
            errors=to_errors(ReleaseOddsOverrideError, outcome.errors),
        )

    @strawberry.mutation(
        description=DESK + "the margin of a market type, applied to the "
        "feed's odds from its next update on. Audited."
    )
    async def set_market_margin(
        self, info: Info, input: SetMarketMarginInput
    ) -> SetMarketMarginPayload:
        outcome = await trading_resolvers.set_market_margin(
            info.context,
            input.market_type,
            margin=decimal_or_nan(
                input.margin,
                places_max=-int(trading.MARGIN_PLACES.as_tuple().exponent),
                integer_digits_max=1,
            ),
            reason=input.reason,
        )
        done = outcome.value is not None
        return SetMarketMarginPayload(
            market_type=input.market_type if done else None,
            margin=outcome.value,
            errors=to_errors(SetMarketMarginError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (bet.void): void an open or pending bet of this brand; its liability is "
        "released and the stake goes back to the wallets that paid it. The bet ends "
        "CANCELLED. Audited."
    )
    async def void_bet(self, info: Info, input: VoidBetInput) -> VoidBetPayload:
        outcome = await trading_resolvers.void_bet(
            info.context, _int_id(input.bet, "Bet"), reason=input.reason
        )
        row = outcome.value
        return VoidBetPayload(
            bet=Bet.from_model(row) if row is not None else None,
            errors=to_errors(VoidBetError, outcome.errors),
        )


@strawberry.type
class TradingQuery:
    @strawberry.field(
        description="Staff (market.trade): each outcome of a market with what the book pays "
        "if it wins, per currency: over the whole book for staff of every brand, over this "
        "brand's bets for others.",
        extensions=[HasPermission.extension(Permission.MARKET_TRADE)],
    )
    async def outcome_liabilities(
        self, info: Info, market: relay.GlobalID
    ) -> list[OutcomeLiability]:
        with as_query_error():
            rows = await trading_resolvers.outcome_liabilities(
                info.context, _int_id(market, "Market")
            )
        return [
            OutcomeLiability(
                outcome=Outcome.from_model(outcome),
                liabilities=[Money.of(r.liability_minor, r.currency) for r in liabilities],
            )
            for outcome, liabilities in rows
        ]
