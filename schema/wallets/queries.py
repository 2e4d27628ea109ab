from __future__ import annotations

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from resolvers.permissions import HasPermission
from resolvers.wallets import wallets as wallet_resolvers
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import uuid_of
from schema.wallets.types import Wallet


@strawberry.type
class WalletsQuery:
    @strawberry.field(
        description="A player's wallets (staff with wallet.read); null when this brand has no "
        "such player.",
        extensions=[HasPermission.extension(Permission.WALLET_READ)],
    )
    async def player_wallets(self, info: Info, player_id: relay.GlobalID) -> list[Wallet] | None:
        player = uuid_of(player_id, "Player")
        with as_query_error():
            balances = await wallet_resolvers.staff_player_wallets(info.context, player)
        return None if balances is None else [Wallet.from_balance(b) for b in balances]
