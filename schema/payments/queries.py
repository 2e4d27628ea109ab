"""Payments queries for staff: the withdrawal review queue and a player's net deposits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.payments import models
from domain.payments import service as payment_service
from resolvers.payments import payments as payment_resolvers
from resolvers.permissions import HasPermission
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import uuid_of
from schema.money import Money
from schema.pagination import forward_connection
from schema.payments.types import Payment


def _connection(page: payment_service.QueuePage, *, after: str | None) -> relay.Connection[Payment]:
    edges = [
        relay.Edge(cursor=page.cursor_of(payment), node=Payment.from_model(payment))
        for payment in page.payments
    ]
    return forward_connection(edges, has_next_page=page.has_next_page, after=after)


@strawberry.type
class PaymentsQuery:
    @strawberry.field(
        description="This brand's withdrawals waiting for review, oldest first (staff with "
        f"withdrawal.approve; keyset pagination, at most {payment_service.PAGE_SIZE_MAX} per "
        "page).",
        extensions=[HasPermission.extension(Permission.WITHDRAWAL_APPROVE)],
    )
    async def pending_withdrawals(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {payment_service.PAGE_SIZE_MAX}.")
        ] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The `endCursor` of the previous page.")
        ] = None,
    ) -> relay.Connection[Payment]:
        with as_query_error():
            page = await payment_resolvers.pending_withdrawals(
                info.context, first=first, after=after
            )
        return _connection(page, after=after)

    @strawberry.field(
        description="Staff (wallet.read): this brand's deposits, newest first, by player, "
        "status, amount range (in `currency`, inclusive) and time (keyset pagination, at "
        f"most {payment_service.PAGE_SIZE_MAX} per page).",
        extensions=[HasPermission.extension(Permission.WALLET_READ)],
    )
    async def deposits(
        self,
        info: Info,
        *,
        player_id: relay.GlobalID | None = None,
        status: list[models.PaymentStatus] | None = None,
        currency: Annotated[
            str | None, strawberry.argument(description="Needed with an amount bound.")
        ] = None,
        amount_min: Annotated[
            str | None, strawberry.argument(description='Decimal text, e.g. "10.00".')
        ] = None,
        amount_max: Annotated[
            str | None, strawberry.argument(description='Decimal text, e.g. "500.00".')
        ] = None,
        from_: Annotated[
            datetime | None,
            strawberry.argument(name="from", description="Inclusive; without a zone, UTC."),
        ] = None,
        to: Annotated[
            datetime | None, strawberry.argument(description="Exclusive; without a zone, UTC.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {payment_service.PAGE_SIZE_MAX}.")
        ] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The `endCursor` of the previous page.")
        ] = None,
    ) -> relay.Connection[Payment]:
        player = uuid_of(player_id, "Player") if player_id is not None else None
        with as_query_error():
            page = await payment_resolvers.search_deposits(
                info.context,
                player_id=player,
                matches_player=player_id is None or player is not None,
                statuses=[s.value for s in status or []],
                currency=currency,
                amount_min=amount_min,
                amount_max=amount_max,
                at_from=from_,
                at_to=to,
                first=first,
                after=after,
            )
        return _connection(page, after=after)

    @strawberry.field(
        description="A player's net deposits: succeeded deposits minus paid-out withdrawals, "
        "in the player's currency (staff with wallet.read); null when this brand has no such "
        "player.",
        extensions=[HasPermission.extension(Permission.WALLET_READ)],
    )
    async def player_net_deposits(self, info: Info, player_id: relay.GlobalID) -> Money | None:
        player = uuid_of(player_id, "Player")
        with as_query_error():
            found = await payment_resolvers.net_deposits(info.context, player)
        return None if found is None else Money.of(*found)
