"""`reportUpdated`: a signal for dashboards that the brand's figures moved."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date

import strawberry

from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.reporting.events import ReportUpdated
from schema.accounts.subscriptions import _until_interrupted
from schema.context import Info
from schema.errors import as_query_error


@strawberry.type(description="The brand's report changed; re-run the report query.")
class ReportUpdate:
    day: date = strawberry.field(description="The business day of the change that signalled.")


@strawberry.type
class ReportingSubscription:
    @strawberry.subscription(
        description="Staff (report.read): a signal each time the brand's read model moved, "
        "at most one every 5 seconds however many bets land, sent after the figures commit. "
        "The stream ends when the session does."
    )
    async def report_updated(self, info: Info) -> AsyncGenerator[ReportUpdate, None]:
        brand = info.context.brand.slug
        with as_query_error():
            require_permission(await info.context.principal(), Permission.REPORT_READ, brand)
        async with info.context.hub.subscribe(ReportUpdated.topic, brand=brand) as events:
            async for event in _until_interrupted(events):
                if await info.context.principal() is None:
                    return
                yield ReportUpdate(day=date.fromisoformat(str(event.payload["day"])))
