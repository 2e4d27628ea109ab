"""Wallet fields of the Player type (attached in schema/accounts/types.py): the player
itself, or staff with wallet.read, may read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Protocol

import strawberry
from strawberry import relay

from domain.kernel import paging
from domain.wallets import history
from domain.wallets import models as wallet_models
from resolvers.wallets import wallets as wallet_resolvers
from schema.context import Info
from schema.errors import as_query_error
from schema.wallets.types import Wallet, WalletTransaction, connection


class _PlayerLike(Protocol):
    id: str


async def player_wallets(root: _PlayerLike, info: Info) -> list[Wallet]:
    with as_query_error():
        balances = await wallet_resolvers.wallets_of(info.context, uuid.UUID(root.id))
    return [Wallet.from_balance(balance) for balance in balances]


async def player_transactions(
    root: _PlayerLike,
    info: Info,
    *,
    first: Annotated[
        int, strawberry.argument(description=f"1 to {paging.PAGE_SIZE_MAX}.")
    ] = history.PAGE_SIZE_DEFAULT,
    after: Annotated[
        str | None, strawberry.argument(description="The `endCursor` of the previous page.")
    ] = None,
    kinds: Annotated[
        list[str] | None,
        strawberry.argument(description='Only these transaction kinds, e.g. ["deposit"].'),
    ] = None,
    wallet_kind: Annotated[
        wallet_models.WalletKind | None, strawberry.argument(description="Only this wallet.")
    ] = None,
    from_: Annotated[
        datetime | None,
        strawberry.argument(name="from", description="Inclusive; without a zone, UTC."),
    ] = None,
    to: Annotated[
        datetime | None, strawberry.argument(description="Exclusive; without a zone, UTC.")
    ] = None,
) -> relay.Connection[WalletTransaction]:
    with as_query_error():
        page = await wallet_resolvers.transactions(
            info.context,
            uuid.UUID(root.id),
            first=first,
            after=after,
            kinds=kinds,
            wallet=wallet_kind,
            since=from_,
            until=to,
        )
    return connection(page, after=after)


wallets_field = strawberry.field(
    resolver=player_wallets,
    description="The player's wallets and balances (the player, or staff with wallet.read).",
)
transactions_field = strawberry.field(
    resolver=player_transactions,
    description="The player's wallet movements, newest first (keyset pagination, at most "
    f"{paging.PAGE_SIZE_MAX} per page). The player, or staff with wallet.read.",
)
