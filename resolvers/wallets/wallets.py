"""Reading wallets: balances (batched per request), movement history and single movements.

A player reads its own wallets; staff need wallet.read. Every read is scoped to the
request's brand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from strawberry.dataloader import DataLoader

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission, require_player
from domain.kernel.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.wallets import history
from domain.wallets.models import WalletKind
from domain.wallets.service import Balance
from resolvers.context import Context

_BALANCES_LOADER: Final = "_wallet_balances_loader"


async def require_wallet_reader(ctx: Context, player_id: uuid.UUID) -> Principal:
    """The caller, if it may read `player_id`'s wallets: that player, or staff with
    wallet.read. Errors: NotAuthenticated, TwoFactorRequired, PermissionDenied, ..."""
    principal = await ctx.principal()
    if principal is None:
        raise NotAuthenticated()
    if principal.is_player:
        require_player(principal)
        if principal.id != player_id:
            raise PermissionDenied()
        return principal
    return require_permission(principal, Permission.WALLET_READ, ctx.brand.slug)


def _balances_loader(ctx: Context) -> DataLoader[uuid.UUID, list[Balance]]:
    # One loader per request context, created on first use. The context has no slot for
    # loaders, so it rides in the instance dict. cache=False: a WebSocket connection keeps
    # its context for hours, and a cached balance would go stale; batching is the point.
    loader: DataLoader[uuid.UUID, list[Balance]] | None = vars(ctx).get(_BALANCES_LOADER)
    if loader is None:

        async def load(player_ids: list[uuid.UUID]) -> Sequence[list[Balance]]:
            async with ctx.db.uow() as uow:
                found = await history.balances_of(uow, ctx.brand.slug, player_ids)
            return [found[player_id] for player_id in player_ids]

        loader = DataLoader(load, max_batch_size=history.PLAYERS_PER_BALANCE_BATCH_MAX, cache=False)
        vars(ctx)[_BALANCES_LOADER] = loader
    return loader


async def wallets_of(ctx: Context, player_id: uuid.UUID) -> list[Balance]:
    """Every wallet of a player of this brand (empty for an unknown player).
    Errors: see require_wallet_reader."""
    await require_wallet_reader(ctx, player_id)
    return await _balances_loader(ctx).load(player_id)


async def staff_player_wallets(ctx: Context, player_id: uuid.UUID | None) -> list[Balance] | None:
    """A player's wallets for staff with wallet.read; None when the brand has no such
    player (or no wallets for it). Errors: PermissionDenied and friends."""
    require_permission(await ctx.principal(), Permission.WALLET_READ, ctx.brand.slug)
    if player_id is None:
        return None
    found = await _balances_loader(ctx).load(player_id)
    return found or None


async def transactions(
    ctx: Context,
    player_id: uuid.UUID,
    *,
    first: int,
    after: str | None,
    kinds: list[str] | None,
    wallet: WalletKind | None,
    since: datetime | None,
    until: datetime | None,
) -> history.Page:
    """One page of the player's movements. Errors: those of require_wallet_reader, then
    InvalidHistoryFilter, InvalidCursor, InvalidPageSize."""
    # Permission first: a caller who may not read learns nothing from input validation.
    await require_wallet_reader(ctx, player_id)
    filters = history.HistoryFilter.of(kinds=kinds, wallet=wallet, since=since, until=until)
    cursor = history.Cursor.decode(after) if after is not None else None
    async with ctx.db.uow() as uow:
        return await history.page(
            uow, ctx.brand.slug, player_id, first=first, after=cursor, filters=filters
        )


async def movements_by_id(ctx: Context, entry_ids: Sequence[int]) -> dict[int, history.Movement]:
    """The movements among `entry_ids` the caller may see (others are left out): its own,
    or any of the brand's for staff with wallet.read."""
    principal = await ctx.principal()
    if principal is None or not entry_ids:
        return {}
    if principal.is_player:
        if not principal.fully_authenticated:
            return {}
    else:
        try:
            require_permission(principal, Permission.WALLET_READ, ctx.brand.slug)
        except DomainError:
            return {}
    async with ctx.db.uow() as uow:
        found = await history.movements_by_id(uow, ctx.brand.slug, entry_ids)
    if principal.is_player:
        return {key: row for key, row in found.items() if row.player_id == principal.id}
    return found
