"""Game rounds: a player's own (or, for staff with casino.reconcile, any of the brand's),
their provider transactions (staff), reconciliation and big wins (staff)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from domain.accounts.permissions import Permission
from domain.accounts.principal import (
    Principal,
    require_permission,
    require_player_record_reader,
)
from domain.casino import reconciliation as reconciliation_service
from domain.casino import rounds
from domain.kernel.errors import DomainError
from resolvers.context import Context


def big_win_rule(ctx: Context) -> rounds.BigWinRule:
    settings = ctx.settings
    return rounds.BigWinRule.of(
        stake_multiple=settings.casino_big_win_stake_multiple,
        default_amount=settings.casino_big_win_min_amount,
        amounts=settings.casino_big_win_min_amounts,
        currencies=ctx.brand.currencies,
    )


async def _require_round_reader(ctx: Context, player_id: uuid.UUID) -> Principal:
    """That player, or staff with casino.reconcile. Errors: NotAuthenticated,
    TwoFactorRequired, PermissionDenied, PasswordChangeRequired."""
    return require_player_record_reader(
        await ctx.principal(), player_id, Permission.CASINO_RECONCILE, ctx.brand.slug
    )


async def player_rounds(
    ctx: Context, player_id: uuid.UUID, *, first: int, after: str | None
) -> rounds.RoundPage:
    """Errors: those of _require_round_reader, then InvalidCursor, InvalidPageSize."""
    await _require_round_reader(ctx, player_id)
    cursor = rounds.RoundCursor.decode(after) if after is not None else None
    async with ctx.db.uow() as uow:
        return await rounds.player_rounds(
            uow, ctx.brand.slug, player_id, big_win_rule(ctx), first=first, after=cursor
        )


def _filter(
    since: datetime, until: datetime, provider: str | None, round_ref: str | None
) -> reconciliation_service.RoundFilter:
    return reconciliation_service.RoundFilter.of(
        since=since, until=until, provider=provider, round_ref=round_ref
    )


async def reconciliation(
    ctx: Context,
    *,
    since: datetime,
    until: datetime,
    provider: str | None,
    round_ref: str | None,
    first: int,
    after: str | None,
) -> reconciliation_service.Reconciliation:
    """Errors: PermissionDenied and friends first, then INVALID_FILTER, INVALID_CURSOR,
    INVALID_PAGE_SIZE."""
    actor = require_permission(await ctx.principal(), Permission.CASINO_RECONCILE, ctx.brand.slug)
    filters = _filter(since, until, provider, round_ref)
    cursor = rounds.RoundCursor.decode(after) if after is not None else None
    async with ctx.db.uow() as uow:
        return await reconciliation_service.reconciliation(
            uow,
            actor,
            brand=ctx.brand.slug,
            filters=filters,
            rule=big_win_rule(ctx),
            first=first,
            after=cursor,
        )


async def big_wins(
    ctx: Context, *, since: datetime, until: datetime, first: int, after: str | None
) -> rounds.RoundPage:
    """Errors: those of reconciliation."""
    actor = require_permission(await ctx.principal(), Permission.CASINO_RECONCILE, ctx.brand.slug)
    filters = _filter(since, until, None, None)
    cursor = rounds.RoundCursor.decode(after) if after is not None else None
    async with ctx.db.uow() as uow:
        return await reconciliation_service.big_wins(
            uow,
            actor,
            brand=ctx.brand.slug,
            filters=filters,
            rule=big_win_rule(ctx),
            first=first,
            after=cursor,
        )


async def transactions(ctx: Context, round_id: int) -> list[rounds.Transaction]:
    """A round's provider transactions (staff with casino.reconcile, checked on the
    field), batched across a page of rounds."""

    async def load(keys: Sequence[int]) -> list[list[rounds.Transaction]]:
        async with ctx.db.uow() as uow:
            found = await rounds.transactions_of(uow, ctx.brand.slug, keys)
        return [found[key] for key in keys]

    return await ctx.loader("casino.round_transactions", load).load(round_id)


async def rounds_by_id(ctx: Context, ids: Sequence[int]) -> dict[int, rounds.Round]:
    """The rounds among `ids` the caller may see: its own (a player), or any of the
    brand's (staff with casino.reconcile)."""
    principal = await ctx.principal()
    if principal is None or not ids:
        return {}
    owner: uuid.UUID | None = None
    if principal.is_player and principal.fully_authenticated:
        owner = principal.id
    else:
        try:
            require_permission(principal, Permission.CASINO_RECONCILE, ctx.brand.slug)
        except DomainError:
            return {}
    async with ctx.db.uow() as uow:
        return await rounds.rounds_by_id(
            uow, ctx.brand.slug, ids, big_win_rule(ctx), player_id=owner
        )
