"""Traders build and result the book over the API (staff: market.trade): each mutation one
transaction, permission-checked and audited in the domain (domain.sportsbook.booking,
resulting); a refusal rolls back and changes nothing.

A result, void, cancellation or rollback is committed first, then its market's bets are
brought into line here (domain.sportsbook.feed.results.converge) within a time budget, so
the trader's answer shows the market settled; what the budget leaves, the
`sportsbook.correct_market` actor the commit asked for finishes (both take turns on the
market's lock, so running both is safe)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.accounts.permissions import Permission
from domain.accounts.principal import EVERY_BRAND, Principal, require_permission
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.sportsbook.feed.results import converge
from domain.sportsbook.models import Market
from resolvers.context import Context
from resolvers.results import Outcome as Result
from resolvers.sportsbook.trading import in_transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
# An id of another type or not a number: no such row (ids start at 1).
NONE_ID = 0
# How long a trader's mutation waits for the market's bets to follow its results.
CONVERGE_BUDGET_S = 10.0


async def by_trader(
    ctx: Context, operation: Callable[[UnitOfWork, Principal | None], Awaitable[T]]
) -> Result[T]:
    """Run a booking operation as the signed-in staff member, in one transaction."""
    actor = await ctx.principal()

    async def run(uow: UnitOfWork) -> T:
        return await operation(uow, actor)

    return await in_transaction(ctx, run)


async def correct(
    ctx: Context,
    market_id: int | None,
    operation: Callable[[UnitOfWork, Principal | None, int], Awaitable[Market]],
) -> Result[Market]:
    """Run a resulting operation on the market, then converge its bets (see the module
    docstring) and answer with the market as it stands."""

    async def run(uow: UnitOfWork, actor: Principal | None) -> Market:
        return await operation(uow, actor, market_id or NONE_ID)

    result = await by_trader(ctx, run)
    if result.value is None:
        return result
    try:
        await converge(ctx.db, market_id=result.value.id, time_budget_s=CONVERGE_BUDGET_S)
    except DomainError:
        # Committed already: the actor retries; the trader sees the market as it stands.
        log.exception("market %s: converging after a trader's correction failed", market_id)
    async with ctx.db.uow() as uow:
        return Result(value=await uow.session.get_one(Market, result.value.id))


async def trading_market(ctx: Context, market_id: int) -> Market | None:
    """The market for the trading desk's view. Errors: NotAuthenticated,
    PermissionDenied (staff of some brands only), TwoFactorRequired,
    PasswordChangeRequired."""
    require_permission(await ctx.principal(), Permission.MARKET_TRADE, EVERY_BRAND)
    async with ctx.db.uow() as uow:
        return await uow.session.get(Market, market_id)
