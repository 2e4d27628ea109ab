"""Reporting queries for staff with report.read."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.reporting import queries
from domain.reporting.errors import InvalidRange
from domain.reporting.queries import Dimension
from resolvers.permissions import HasPermission
from resolvers.reporting import reports
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import uuid_of
from schema.reporting.types import PlayerValue, Report, ReportDimension, ReportFilter
from schema.selection import selected_below, selects


@strawberry.type
class ReportingQuery:
    @strawberry.field(
        description="Staff (report.read): the brand's figures over days [from, to] (the "
        f"brand's time zone, at most {queries.RANGE_DAYS_MAX} days), grouped by `dimensions` "
        "and currency, from the reporting read model. Errors (extensions.code): "
        "INVALID_RANGE, TOO_MANY_GROUPS, INVALID_CURSOR.",
        extensions=[HasPermission.extension(Permission.REPORT_READ)],
    )
    async def report(
        self,
        info: Info,
        *,
        from_: Annotated[date, strawberry.argument(name="from", description="First day.")],
        to: Annotated[date, strawberry.argument(description="Last day, inclusive.")],
        dimensions: list[ReportDimension],
        filters: ReportFilter | None = None,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {queries.PAGE_SIZE_MAX} lines.")
        ] = 100,
        after: Annotated[str | None, strawberry.argument(description="A line's cursor.")] = None,
    ) -> Report:
        with as_query_error():
            page = await reports.report(
                info.context,
                day_from=from_,
                day_to=to,
                dimensions=[Dimension(d.value) for d in dimensions],
                filters=filters.by_dimension() if filters else {},
                first=first,
                after=after,
                # Converted only when asked: one more grouped statement per page.
                in_reporting_currency=selects(info, "lines", "inReportingCurrency"),
            )
        return Report.of(page, selected_below(info, "lines"))

    @strawberry.field(
        description="Staff (player.read and report.read): what a player has brought, per "
        "currency, over their lifetime and (with from and to, the brand's days, at most "
        "400) over a period, from the reporting read model; null when this brand has no "
        "such player, empty before their first money movement.",
        extensions=[HasPermission.extension(Permission.REPORT_READ)],
    )
    async def player_value(
        self,
        info: Info,
        player_id: relay.GlobalID,
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="First day of the period.")
        ] = None,
        to: Annotated[
            date | None, strawberry.argument(description="Last day of the period, inclusive.")
        ] = None,
    ) -> list[PlayerValue] | None:
        period = (from_, to) if from_ is not None and to is not None else None
        with as_query_error():
            if (from_ is None) != (to is None):
                raise InvalidRange("Give both from and to, or neither.", field="from")
            found = await reports.player_value(info.context, uuid_of(player_id, "Player"), period)
        return None if found is None else [PlayerValue.of(value) for value in found]
