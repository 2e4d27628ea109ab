"""Sportsbook queries: navigating the book (public)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from domain.sportsbook import catalog, models
from resolvers.sportsbook import catalog as catalog_resolvers
from schema.context import Info
from schema.errors import as_query_error
from schema.selection import selects
from schema.sportsbook.types import Sport, SportsbookEvent, event_connection


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
        with as_query_error():
            filters = catalog.EventFilter.of(
                first=first, after=after, statuses=status, starts_after=starts_after
            )
        # Read what the page shows up front, so its nested fields resolve without loaders.
        node = ("edges", "node")
        shows = catalog_resolvers.EventListingShows(
            markets=selects(info, *node, "markets"),
            outcomes=selects(info, *node, "markets", "outcomes"),
            competition=selects(info, *node, "competition"),
            sport=selects(info, *node, "competition", "sport"),
        )
        listing = await catalog_resolvers.event_listing(info.context, filters, shows)
        return event_connection(listing.page, after=after, listing=listing)
