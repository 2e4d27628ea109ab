"""The dashboard: each panel shown to the roles that may read it. Report readers see
today's and this month's GGR, NGR, deposits, withdrawals and active players per currency
(the reporting read model, cut at the brand's day) and the last 30 days' GGR as a chart;
finance the open withdrawals; traders the events on the book; everyone their own scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from domain.kernel import clock
from web.backoffice.charts import BarChart, bar_chart
from web.backoffice.console import Console

AREA: Final = "dashboard"
# The panels count at most a page of each list ("50+" beyond it): the events page selects
# markets and outcomes, and a page of 50 stays well under the API's cost limit.
PANEL_COUNT_MAX: Final = 50
CHART_DAYS: Final = 30


@dataclass(frozen=True)
class Figures:
    """One currency's figures over a period, as the report lines give them."""

    currency: str
    ggr: dict[str, Any] | None
    ngr: dict[str, Any] | None
    deposits: dict[str, Any] | None
    withdrawals: dict[str, Any] | None
    deposit_count: int
    withdrawal_count: int
    active_players: int

    @classmethod
    def of(cls, line: dict[str, Any]) -> Figures:
        return cls(
            currency=line["currency"],
            ggr=line["ggr"],
            ngr=line["ngr"],
            deposits=line["deposits"],
            withdrawals=line["withdrawals"],
            deposit_count=int(line["depositCount"]),
            withdrawal_count=int(line["withdrawalCount"]),
            active_players=int(line["activePlayers"]),
        )

    @classmethod
    def nothing(cls, currency: str) -> Figures:
        zero = {"amount": "0", "currency": currency}
        return cls(currency, zero, zero, zero, zero, 0, 0, 0)


@dataclass(frozen=True)
class CurrencyPanel:
    currency: str
    today: Figures
    month: Figures
    chart: BarChart


def brand_today(time_zone: str, now: datetime | None = None) -> date:
    """The brand's business day now (reports cut days in the brand's zone)."""
    return (now or clock.now()).astimezone(ZoneInfo(time_zone)).date()


def report_panels(
    days: list[dict[str, Any]], month: list[dict[str, Any]], today: date
) -> list[CurrencyPanel]:
    """Per currency that moved money in the chart's days or this month: today's and the
    month's figures and the chart of the last CHART_DAYS days' GGR (days without a line
    are zero)."""
    first_day = today - timedelta(days=CHART_DAYS - 1)
    chart_days = [first_day + timedelta(days=n) for n in range(CHART_DAYS)]
    currencies = sorted({line["currency"] for line in [*days, *month]})
    panels = []
    for currency in currencies:
        by_day = {line["day"]: line for line in days if line["currency"] == currency}
        month_line = next((line for line in month if line["currency"] == currency), None)
        today_line = by_day.get(today.isoformat())
        points = [
            (day.isoformat(), Decimal(str(by_day[day.isoformat()]["ggr"]["amount"])))
            if day.isoformat() in by_day
            else (day.isoformat(), Decimal(0))
            for day in chart_days
        ]
        panels.append(
            CurrencyPanel(
                currency=currency,
                today=Figures.of(today_line) if today_line else Figures.nothing(currency),
                month=Figures.of(month_line) if month_line else Figures.nothing(currency),
                chart=bar_chart(points),
            )
        )
    return panels


class DashboardPage:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def show(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        held = page.viewer.granted
        panels: dict[str, Any] = {}
        reports: list[CurrencyPanel] | None = None
        today = brand_today(page.brand.time_zone)
        if self.console.needs.allows("DashboardFigures", held):
            result = await self.console.run(
                request,
                "DashboardFigures",
                {
                    "daysFrom": (today - timedelta(days=CHART_DAYS - 1)).isoformat(),
                    "monthFrom": today.replace(day=1).isoformat(),
                    "to": today.isoformat(),
                },
            )
            reports = report_panels(
                (result.data.get("days") or {}).get("lines") or [],
                (result.data.get("month") or {}).get("lines") or [],
                today,
            )
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
        alerts, health = await self._alerts(request, held)
        return self.console.render(
            page,
            "dashboard.html",
            panels=panels,
            reports=reports,
            today=today,
            alerts=alerts,
            health=health,
        )

    async def _alerts(
        self, request: Request, held: frozenset[str]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """What needs someone: AML and KYC queues (for roles that work them), failed
        payments and open liability, and the outbox's backlog (report.read)."""
        alerts: dict[str, Any] = {}
        health = None
        if self.console.needs.allows("AmlQueue", held):
            result = await self.console.run(request, "AmlQueue", {"first": PANEL_COUNT_MAX})
            alerts["aml_open"] = _listed(result.data.get("amlAlerts") or [])
        if self.console.needs.allows("KycReviewQueue", held):
            result = await self.console.run(request, "KycReviewQueue", {"first": PANEL_COUNT_MAX})
            alerts["kyc_waiting"] = _listed(result.data.get("kycReviewQueue") or [])
        if self.console.needs.allows("OperationsOverview", held):
            result = await self.console.run(request, "OperationsOverview")
            overview = result.data.get("operationsOverview") or {}
            if overview:
                alerts["failed_payments"] = str(overview["failedPayments"])
                health = overview
        return alerts, health


def _listed(items: list[Any]) -> str:
    return f"{len(items)}+" if len(items) >= PANEL_COUNT_MAX else str(len(items))


def _count(connection: dict[str, Any]) -> str:
    count = len(connection.get("edges") or [])
    more = (connection.get("pageInfo") or {}).get("hasNextPage")
    return f"{count}+" if more else str(count)
