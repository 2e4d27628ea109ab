"""The dashboard: what the schema offers today, each panel shown to the roles that may read
it (open withdrawals for finance, the events on the book for traders, the viewer's own
scope for everyone). Reporting figures (GGR, NGR, deposits) come with the reporting API."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice.console import Console

AREA: Final = "dashboard"
# The panels count at most a page of each list ("50+" beyond it): the events page selects
# markets and outcomes, and a page of 50 stays well under the API's cost limit.
PANEL_COUNT_MAX: Final = 50


class DashboardPage:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def show(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        held = page.viewer.granted
        panels: dict[str, Any] = {}
        if self.console.needs.allows("PendingWithdrawals", held):
            result = await self.console.run(
                request, "PendingWithdrawals", {"first": PANEL_COUNT_MAX, "after": None}
            )
            connection = result.data.get("pendingWithdrawals") or {}
            panels["open_withdrawals"] = _count(connection)
        if self.console.requirements["trading"].met_by(held):
            result = await self.console.run(
                request,
                "TradingEvents",
                {"first": PANEL_COUNT_MAX, "after": None, "status": ["SCHEDULED", "LIVE"]},
            )
            panels["upcoming_events"] = _count(result.data.get("sportsbookEvents") or {})
        return self.console.render(page, "dashboard.html", panels=panels)


def _count(connection: dict[str, Any]) -> str:
    count = len(connection.get("edges") or [])
    more = (connection.get("pageInfo") or {}).get("hasNextPage")
    return f"{count}+" if more else str(count)
