"""Reading wallets: balances and history pages (batched per request, read from one
snapshot), and single movements.

A player reads its own wallets; staff need wallet.read. Every read is scoped to the
request's brand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeAlias

from strawberry.dataloader import DataLoader

from domain.accounts.permissions import Permission
from domain.accounts.principal import (
    Principal,
    require_permission,
    require_player_record_reader,
)
from domain.kernel import paging
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.wallets import history
from domain.wallets.models import WalletKind
from domain.wallets.service import Balance
from resolvers.context import Context

_WALLET_LOADER: Final = "_wallet_reads_loader"


async def require_wallet_reader(ctx: Context, player_id: uuid.UUID) -> Principal:
    """The caller, if it may read `player_id`'s wallets: that player, or staff with
    wallet.read. Errors: NotAuthenticated, TwoFactorRequired, PermissionDenied, ..."""
    return require_player_record_reader(
        await ctx.principal(), player_id, Permission.WALLET_READ, ctx.brand.slug
    )


@dataclass(frozen=True)
class _Balances:
    """A load of every wallet of a player."""

    player_id: uuid.UUID


@dataclass(frozen=True)
class _HistoryPage:
    """A load of one page of a player's movements."""

    player_id: uuid.UUID
    first: int
    after: history.Cursor | None
    filters: history.HistoryFilter


_WalletRead: TypeAlias = _Balances | _HistoryPage


def _wallet_loader(ctx: Context) -> DataLoader[_WalletRead, list[Balance] | history.Page]:
    """Balances and history pages of one request, read together: sibling fields
    (`wallets` and `transactions`) resolve concurrently and load in the same tick, so one
    batch reads them in one REPEATABLE READ transaction, one snapshot. Otherwise a
    posting that commits between two reads shows a balance its history does not reach.

    One loader per request context, created on first use. The context has no slot for
    loaders, so it rides in the instance dict. cache=False: a WebSocket connection keeps
    its context for hours, and a cached balance would go stale; batching is the point."""
    loader: DataLoader[_WalletRead, list[Balance] | history.Page] | None = vars(ctx).get(
        _WALLET_LOADER
    )
    if loader is None:

        async def load(reads: list[_WalletRead]) -> Sequence[list[Balance] | history.Page]:
            brand = ctx.brand.slug
            players = list({read.player_id: None for read in reads if isinstance(read, _Balances)})
            async with ctx.db.uow() as uow:
                await uow.session.connection(
                    execution_options={"isolation_level": "REPEATABLE READ"}
                )
                balances = await history.balances_of(uow, brand, players) if players else {}
                return [await _read(uow, brand, read, balances) for read in reads]

        loader = DataLoader(load, max_batch_size=history.PLAYERS_PER_BALANCE_BATCH_MAX, cache=False)
        vars(ctx)[_WALLET_LOADER] = loader
    return loader


async def _read(
    uow: UnitOfWork,
    brand: str,
    read: _WalletRead,
    balances: dict[uuid.UUID, list[Balance]],
) -> list[Balance] | history.Page:
    if isinstance(read, _Balances):
        return balances[read.player_id]
    return await history.page(
        uow, brand, read.player_id, first=read.first, after=read.after, filters=read.filters
    )


async def _balances(ctx: Context, player_id: uuid.UUID) -> list[Balance]:
    found = await _wallet_loader(ctx).load(_Balances(player_id))
    assert isinstance(found, list)
    return found


async def wallets_of(ctx: Context, player_id: uuid.UUID) -> list[Balance]:
    """Every wallet of a player of this brand (empty for an unknown player).
    Errors: see require_wallet_reader."""
    await require_wallet_reader(ctx, player_id)
    return await _balances(ctx, player_id)


async def staff_player_wallets(ctx: Context, player_id: uuid.UUID | None) -> list[Balance] | None:
    """A player's wallets for staff with wallet.read; None when the brand has no such
    player (or no wallets for it). Errors: PermissionDenied and friends."""
    require_permission(await ctx.principal(), Permission.WALLET_READ, ctx.brand.slug)
    if player_id is None:
        return None
    found = await _balances(ctx, player_id)
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
    # Refused here, not in the batch: one read's error would fail the request's others.
    paging.check_page_size(first)
    found = await _wallet_loader(ctx).load(_HistoryPage(player_id, first, cursor, filters))
    assert isinstance(found, history.Page)
    return found


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
