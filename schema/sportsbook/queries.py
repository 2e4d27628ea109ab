"""Sportsbook queries: navigating the book (public)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from domain.kernel.errors import DomainError
from domain.sportsbook import catalog, models
from resolvers.sportsbook import catalog as catalog_resolvers
from schema.context import Info
from schema.sportsbook.types import Sport, SportsbookEvent, event_connection
from schema.wallets.types import query_error


@strawberry.type
class SportsbookQuery:
    @strawberry.field(description="Every sport of the book, by name.")
    async def sports(self, info: Info) -> list[Sport]:
        return [Sport.from_model(row) for row in await catalog_resolvers.sports(info.context)]

    @strawberry.field(
        description="Events of every competition by start time (keyset pagination, at most "
        f"{catalog.PAGE_SIZE_MAX} per page); scheduled and live ones unless `status` says."
    )
    async def sportsbook_events(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {catalog.PAGE_SIZE_MAX}.")
        ] = catalog.PAGE_SIZE_DEFAULT,
        after: Annotated[
            str | None, strawberry.argument(description="The `endCursor` of the previous page.")
        ] = None,
        status: list[models.EventStatus] | None = None,
        starts_after: Annotated[
            datetime | None, strawberry.argument(description="Exclusive; without a zone, UTC.")
        ] = None,
    ) -> relay.Connection[SportsbookEvent]:
        try:
            filters = catalog.EventFilter.of(
                first=first, after=after, statuses=status, starts_after=starts_after
            )
        except DomainError as error:
            raise query_error(error) from None
        page = await catalog_resolvers.event_page(info.context, filters)
        return event_connection(page, after=after)
