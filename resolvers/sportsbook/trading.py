"""Trading over the API (staff: market.trade, bet.void): each mutation one transaction,
permission-checked and audited in the domain; a refusal rolls back and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

from domain.kernel.db import UnitOfWork
from domain.sportsbook import trading
from domain.sportsbook.models import Bet, Market, Outcome
from resolvers.context import Context
from resolvers.results import Outcome as Result
from resolvers.results import attempt
from resolvers.sportsbook import catalog

T = TypeVar("T")
# An id of another type or not a number: no such row (ids start at 1), refused as not found
# after the permission check like any unknown id.
_NONE = 0
# The domain names its ids (`marketId`); the API's inputs name the object (`market`).
_FIELDS = {
    "marketId": "market",
    "eventId": "event",
    "outcomeId": "outcome",
    "betId": "bet",
    "sportId": "sport",
    "competitionId": "competition",
}


async def in_transaction(
    ctx: Context, operation: Callable[[UnitOfWork], Awaitable[T]]
) -> Result[T]:
    async def run() -> T:
        async with ctx.db.uow() as uow:
            value = await operation(uow)
            await uow.commit()
        return value

    result = await attempt(run)
    for error in result.errors:
        error.field = _FIELDS.get(error.field or "", error.field)
    return result


async def set_market_suspended(
    ctx: Context, market_id: int | None, *, suspended: bool, reason: str
) -> Result[Market]:
    actor = await ctx.principal()

    async def run(uow: UnitOfWork) -> Market:
        return await trading.set_market_suspended(
            uow, actor, market_id or _NONE, suspended=suspended, reason=reason
        )

    return await in_transaction(ctx, run)


async def set_event_suspended(
    ctx: Context, event_id: int | None, *, suspended: bool, reason: str
) -> Result[list[int]]:
    actor = await ctx.principal()

    async def run(uow: UnitOfWork) -> list[int]:
        return await trading.set_event_suspended(
            uow, actor, event_id or _NONE, suspended=suspended, reason=reason
        )

    return await in_transaction(ctx, run)


async def override_odds(
    ctx: Context, outcome_id: int | None, *, odds: Decimal, reason: str
) -> Result[Outcome]:
    actor = await ctx.principal()

    async def run(uow: UnitOfWork) -> Outcome:
        outcome = await trading.override_odds(
            uow, actor, outcome_id or _NONE, odds=odds, reason=reason
        )
        await uow.session.refresh(outcome)  # the odds as stored (four places)
        return outcome

    return await in_transaction(ctx, run)


async def release_odds_override(
    ctx: Context, outcome_id: int | None, *, reason: str
) -> Result[Outcome]:
    actor = await ctx.principal()

    async def run(uow: UnitOfWork) -> Outcome:
        outcome = await trading.release_odds_override(
            uow, actor, outcome_id or _NONE, reason=reason
        )
        await uow.session.refresh(outcome)
        return outcome

    return await in_transaction(ctx, run)


async def set_market_margin(
    ctx: Context, market_type: str, *, margin: Decimal, reason: str
) -> Result[Decimal]:
    actor = await ctx.principal()

    async def run(uow: UnitOfWork) -> Decimal:
        margin_set = await trading.set_market_margin(
            uow, actor, market_type, margin=margin, reason=reason
        )
        return margin_set.quantize(trading.MARGIN_PLACES)

    return await in_transaction(ctx, run)


async def void_bet(ctx: Context, bet_id: int | None, *, reason: str) -> Result[Bet]:
    actor = await ctx.principal()

    async def run(uow: UnitOfWork) -> Bet:
        return await trading.void_bet(uow, actor, ctx.brand.slug, bet_id or _NONE, reason=reason)

    return await in_transaction(ctx, run)


async def outcome_liabilities(
    ctx: Context, market_id: int | None
) -> list[tuple[Outcome, list[trading.LiabilityRow]]]:
    """Every outcome of the market with the liability it carries per currency (none yet:
    an empty list); the whole book's for staff of every brand, this brand's bets' for
    others. Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired,
    PasswordChangeRequired."""
    actor = await ctx.principal()
    async with ctx.db.uow() as uow:
        rows = await trading.market_liabilities(uow, actor, ctx.brand.slug, market_id or _NONE)
    outcomes = await catalog.outcomes_of(ctx, market_id) if market_id else []
    by_outcome: dict[int, list[trading.LiabilityRow]] = {}
    for row in rows:
        by_outcome.setdefault(row.outcome_id, []).append(row)
    return [(outcome, by_outcome.get(outcome.id, [])) for outcome in outcomes]
