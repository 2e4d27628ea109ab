"""Traders result the book: results (win, lose, void, half-win/half-lose, dead heats,
finishing positions), voids, windowed cancellations and their rollbacks, each the feed
message that says the same from the producer `trader` (domain.sportsbook.resulting), so
the market's bets converge as they do for the feed's.

Staff of the trading desk only (market.trade over every brand). Each mutation takes one
`input` with a mandatory reason (kept in the audit log) and returns `{ market, errors }`,
the market as it stands once its bets followed; refusals are typed and change nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from domain.accounts.principal import Principal
from domain.kernel.db import UnitOfWork
from domain.sportsbook import errors as sportsbook_errors
from domain.sportsbook import models as sportsbook_models
from domain.sportsbook import resulting
from resolvers.sportsbook import booking as booking_resolvers
from schema.context import Info
from schema.errors import E, MutationError, mutation_error, to_errors
from schema.money import DecimalText, decimal_or_nan
from schema.sportsbook.desk import DESK, REASON, STAFF_ERRORS, market_of, node_id
from schema.sportsbook.types import Market

_RESULT_ERRORS = (*STAFF_ERRORS, sportsbook_errors.MarketNotFound)


@mutation_error(*_RESULT_ERRORS, sportsbook_errors.InvalidResults)
class ResultMarketError(MutationError): ...


@mutation_error(*_RESULT_ERRORS)
class VoidMarketError(MutationError): ...


@mutation_error(*_RESULT_ERRORS, resulting.InvalidCancelWindow)
class CancelBetsError(MutationError): ...


@mutation_error(*_RESULT_ERRORS, sportsbook_errors.MarketNotSettled)
class RollbackSettlementError(MutationError): ...


@mutation_error(*_RESULT_ERRORS, resulting.MarketNotCancelled)
class RollbackCancellationError(MutationError): ...


@strawberry.input
class OutcomeResultInput:
    outcome: relay.GlobalID = strawberry.field(description="The outcome's `id`.")
    result: sportsbook_models.ResultKind
    dead_heat_factor: DecimalText | None = strawberry.field(
        default=None, description='A tied winner\'s share, e.g. "0.5" for two (null: no tie).'
    )
    place: int | None = strawberry.field(
        default=None,
        description="Racing: the finishing position; within the place terms, each-way "
        "bets' place part wins.",
    )


@strawberry.input
class ResultMarketInput:
    market: relay.GlobalID = strawberry.field(description="The market's `id`.")
    outcomes: list[OutcomeResultInput] = strawberry.field(
        description="Every outcome of the market, once."
    )
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class ResultMarketPayload:
    market: Market | None = None
    errors: list[ResultMarketError]


@strawberry.input
class MarketCorrectionInput:
    market: relay.GlobalID = strawberry.field(description="The market's `id`.")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class VoidMarketPayload:
    market: Market | None = None
    errors: list[VoidMarketError]


@strawberry.input
class CancelBetsInput:
    market: relay.GlobalID = strawberry.field(description="The market's `id`.")
    placed_from: datetime = strawberry.field(description="From this time (included).")
    placed_to: datetime = strawberry.field(description="To this time (excluded).")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class CancelBetsPayload:
    market: Market | None = None
    errors: list[CancelBetsError]


@strawberry.type
class RollbackSettlementPayload:
    market: Market | None = None
    errors: list[RollbackSettlementError]


@strawberry.type
class RollbackCancellationPayload:
    market: Market | None = None
    errors: list[RollbackCancellationError]


# ---- conversions and root fields ---------------------------------------------------------


def _heat(text: DecimalText | None) -> Decimal:
    if text is None:
        return Decimal(1)
    return decimal_or_nan(text, places_max=4, integer_digits_max=1)


def _results(outcomes: list[OutcomeResultInput]) -> list[resulting.TraderResult]:
    return [
        resulting.TraderResult(
            node_id(o.outcome, "Outcome"), o.result, _heat(o.dead_heat_factor), o.place
        )
        for o in outcomes
    ]


async def _corrected(
    info: Info,
    market: relay.GlobalID,
    error_type: type[E],
    operation: Callable[[UnitOfWork, Principal | None, int], Awaitable[sportsbook_models.Market]],
) -> tuple[Market | None, list[E]]:
    """Every resulting mutation's body: run the operation on the market, its bets converge,
    and answer with the market as it stands and the typed errors."""
    done = await booking_resolvers.correct(info.context, node_id(market, "Market"), operation)
    return market_of(done.value), to_errors(error_type, done.errors)


@strawberry.type
class ResultingMutation:
    @strawberry.mutation(
        description=DESK + "result every outcome of a market (win, lose, void, half-win, "
        "half-lose, dead heats, finishing positions); its bets are settled, and a market "
        "resulted before is corrected. Audited."
    )
    async def result_market(self, info: Info, input: ResultMarketInput) -> ResultMarketPayload:
        results = _results(input.outcomes)
        market, errors = await _corrected(
            info,
            input.market,
            ResultMarketError,
            lambda uow, actor, market_id: resulting.result_market(
                uow, actor, market_id, results, reason=input.reason
            ),
        )
        return ResultMarketPayload(market=market, errors=errors)

    @strawberry.mutation(
        description=DESK + "void a market: every bet on it is void, stakes returned. Audited."
    )
    async def void_market(self, info: Info, input: MarketCorrectionInput) -> VoidMarketPayload:
        market, errors = await _corrected(
            info,
            input.market,
            VoidMarketError,
            lambda uow, actor, market_id: resulting.cancel_bets(
                uow, actor, market_id, placed_from=None, placed_to=None, reason=input.reason
            ),
        )
        return VoidMarketPayload(market=market, errors=errors)

    @strawberry.mutation(
        description=DESK + "void the market's bets placed in a time window (stakes "
        "returned); the market trades on. Audited."
    )
    async def cancel_bets(self, info: Info, input: CancelBetsInput) -> CancelBetsPayload:
        market, errors = await _corrected(
            info,
            input.market,
            CancelBetsError,
            lambda uow, actor, market_id: resulting.cancel_bets(
                uow,
                actor,
                market_id,
                placed_from=input.placed_from,
                placed_to=input.placed_to,
                reason=input.reason,
            ),
        )
        return CancelBetsPayload(market=market, errors=errors)

    @strawberry.mutation(
        description=DESK + "roll back a market's settlement: payouts reversed, bets open "
        "again until the market is resulted again. Audited."
    )
    async def rollback_settlement(
        self, info: Info, input: MarketCorrectionInput
    ) -> RollbackSettlementPayload:
        market, errors = await _corrected(
            info,
            input.market,
            RollbackSettlementError,
            lambda uow, actor, market_id: resulting.rollback_settlement(
                uow, actor, market_id, reason=input.reason
            ),
        )
        return RollbackSettlementPayload(market=market, errors=errors)

    @strawberry.mutation(
        description=DESK + "roll back a void or cancellation: the bets it voided stand "
        "again. Audited."
    )
    async def rollback_cancellation(
        self, info: Info, input: MarketCorrectionInput
    ) -> RollbackCancellationPayload:
        market, errors = await _corrected(
            info,
            input.market,
            RollbackCancellationError,
            lambda uow, actor, market_id: resulting.rollback_cancellation(
                uow, actor, market_id, reason=input.reason
            ),
        )
        return RollbackCancellationPayload(market=market, errors=errors)
