"""The report query: staff with report.read, over the request's brand only."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date

from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.reporting import players, queries
from domain.reporting.formula import Formula
from domain.reporting.queries import Dimension, ReportPage, ReportRequest
from resolvers.context import Context


def formula(ctx: Context) -> Formula:
    return Formula.of(ctx.settings.report_bonus_cost, ctx.settings.report_ngr_deductions)


async def report(
    ctx: Context,
    *,
    day_from: date,
    day_to: date,
    dimensions: Sequence[Dimension],
    filters: Mapping[Dimension, tuple[str, ...]],
    first: int,
    after: str | None,
    in_reporting_currency: bool = False,
) -> ReportPage:
    """Errors: NotAuthenticated, PermissionDenied and friends first, then INVALID_RANGE,
    TOO_MANY_GROUPS, INVALID_CURSOR."""
    require_permission(await ctx.principal(), Permission.REPORT_READ, ctx.brand.slug)
    request = ReportRequest(
        ctx.brand.slug, day_from, day_to, tuple(dimensions), filters, first, after,
        ctx.settings.report_currency if in_reporting_currency else None,
    )  # fmt: skip
    async with ctx.db.uow() as uow:
        return await queries.report(uow, request, formula(ctx))


async def player_value(
    ctx: Context, player_id: uuid.UUID | None, period: tuple[date, date] | None
) -> list[players.PlayerValue] | None:
    """A player's value per currency for staff with player.read and report.read; None when
    this brand has no such player. Errors: those of require_permission, INVALID_RANGE."""
    principal = await ctx.principal()
    require_permission(principal, Permission.PLAYER_READ, ctx.brand.slug)
    require_permission(principal, Permission.REPORT_READ, ctx.brand.slug)
    if player_id is None:
        return None
    async with ctx.db.uow() as uow:
        player = await uow.session.get(Player, player_id)
        if player is None or player.brand != ctx.brand.slug:
            return None
        return await players.player_value(uow, ctx.brand.slug, player_id, formula(ctx), period)
