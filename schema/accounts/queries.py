from __future__ import annotations

import strawberry

from domain.accounts.permissions import Permission
from resolvers.accounts import players as player_resolvers
from resolvers.permissions import HasPermission
from schema.accounts.types import Brand, Player, StaffMember, Viewer
from schema.context import Info

PLAYER_SEARCH_DEFAULT = 20


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="The brand this request is served for.")
    def brand(self, info: Info) -> Brand:
        return Brand.from_model(info.context.brand)

    @strawberry.field(description="The signed-in player or staff member; null when signed out.")
    async def viewer(self, info: Info) -> Viewer | None:
        principal = await info.context.principal()
        if principal is None:
            return None
        player = staff = None
        if principal.fully_authenticated:
            if principal.is_player:
                model = await player_resolvers.viewer_player(info.context, principal)
                player = Player.from_model(model) if model else None
            else:
                member = await player_resolvers.viewer_staff(info.context, principal)
                staff = StaffMember.from_model(member) if member else None
        return Viewer(
            player=player,
            staff=staff,
            two_factor_pending=not principal.fully_authenticated,
            permissions=sorted(principal.permissions) if principal.fully_authenticated else [],
            _principal=principal,
        )

    @strawberry.field(
        description="Players of this brand whose email, phone or username contains `search` "
        "(staff with player.read). At most 100.",
        extensions=[HasPermission.extension(Permission.PLAYER_READ)],
    )
    async def players(
        self, info: Info, search: str, first: int = PLAYER_SEARCH_DEFAULT
    ) -> list[Player]:
        rows = await player_resolvers.search_players(info.context, search, first)
        return [Player.from_model(row) for row in rows]
