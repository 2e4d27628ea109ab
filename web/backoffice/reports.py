"""Reports: the reporting read model's figures over a range of the brand's days, grouped by
the dimensions staff choose, keyset-paged, and the same as CSV (read page by page through
the same document)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import Console, cursor_param, read_problem
from web.backoffice.dashboard import brand_today
from web.exports import _csv

AREA: Final = "reports"
PAGE_SIZE: Final = 100
CSV_PAGE_SIZE: Final = 500
CSV_ROWS_MAX: Final = 20_000
RANGE_DAYS_MAX: Final = 400
# (form value, the line's key, the column's title)
DIMENSIONS: Final = (
    ("DAY", "day", "Day"), ("MONTH", "month", "Month"), ("PRODUCT", "product", "Product"),
    ("GAME", "game", "Game"), ("PROVIDER", "provider", "Provider"),
    ("SPORT", "sport", "Sport"), ("COMPETITION", "competition", "Competition"),
    ("MARKET_TYPE", "marketType", "Market type"),
)  # fmt: skip
COUNTS: Final = (
    ("bets", "Bets"), ("activePlayers", "Active players"), ("registrations", "Registrations"),
    ("firstTimeDepositors", "First-time depositors"), ("depositCount", "Deposits"),
    ("withdrawalCount", "Withdrawals"),
)  # fmt: skip
AMOUNTS: Final = (
    ("stakes", "Stakes"), ("wins", "Wins"), ("ggr", "GGR"), ("ngr", "NGR"),
    ("bonusCost", "Bonus cost"), ("deposits", "Deposited"), ("withdrawals", "Withdrawn"),
)  # fmt: skip


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def report_request(query: QueryParams, today: date) -> tuple[dict[str, Any], list[str], str | None]:
    """The document's variables from the form (default: this month by day), the chosen
    dimensions, and the problem with the range when it is not one the API takes."""
    chosen = [value for value, _, _ in DIMENSIONS if value in query.getlist("dimension")]
    if "dimension" not in query:
        chosen = ["DAY"]
    day_from = _day(query.get("from")) or today.replace(day=1)
    day_to = _day(query.get("to")) or today
    problem = None
    if (query.get("from") and _day(query.get("from")) is None) or (
        query.get("to") and _day(query.get("to")) is None
    ):
        problem = strings.TEXT["unreadable_day"]
    elif day_from > day_to or (day_to - day_from) >= timedelta(days=RANGE_DAYS_MAX):
        problem = strings.TEXT["report_range"]
    variables = {"from": day_from.isoformat(), "to": day_to.isoformat(), "dimensions": chosen}
    return variables, chosen, problem


def _columns(chosen: list[str]) -> list[tuple[str, str]]:
    return [(key, title) for value, key, title in DIMENSIONS if value in chosen]


class ReportPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def report(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        variables, chosen, problem = report_request(
            request.query_params, brand_today(page.brand.time_zone)
        )
        found: dict[str, Any] = {}
        if problem is None:
            result = await self.console.run(
                request,
                "ReportLines",
                {**variables, "first": PAGE_SIZE, "after": cursor_param(request)},
            )
            found = result.data.get("report") or {}
            problem = read_problem(result)
        form = {"from": variables["from"], "to": variables["to"]}
        query = urlencode([*form.items(), *(("dimension", d) for d in chosen)])
        return self.console.render(
            page,
            "reports.html",
            status=400 if problem else 200,
            error=problem,
            form=form,
            chosen=chosen,
            dimensions=DIMENSIONS,
            columns=_columns(chosen),
            counts=COUNTS,
            amounts=AMOUNTS,
            lines=found.get("lines") or [],
            has_next_page=bool(found.get("hasNextPage")),
            next_query=query + "&" + urlencode({"after": found.get("endCursor") or ""}),
            csv_query=query,
        )

    async def csv(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        variables, chosen, problem = report_request(
            request.query_params, brand_today(page.brand.time_zone)
        )
        if problem is not None:
            return self.console.render(
                page, "message.html", status=400, title=strings.TEXT["reports"], message=problem
            )
        columns = _columns(chosen)
        rows: list[tuple[str, ...]] = [
            (*(key for key, _ in columns), "currency", *(k for k, _ in COUNTS),
             *(k for k, _ in AMOUNTS)),
        ]  # fmt: skip
        after = None
        while len(rows) <= CSV_ROWS_MAX:
            result = await self.console.run(
                request, "ReportLines", {**variables, "first": CSV_PAGE_SIZE, "after": after}
            )
            found = result.data.get("report") or {}
            rows.extend(_row(line, columns) for line in found.get("lines") or [])
            after = found.get("endCursor")
            if not found.get("hasNextPage") or after is None:
                break
        return Response(
            _csv(rows[: CSV_ROWS_MAX + 1]),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="report.csv"',
                "cache-control": "no-store",
            },
        )


def _row(line: Mapping[str, Any], columns: list[tuple[str, str]]) -> tuple[str, ...]:
    return (
        *(str(line.get(key) or "") for key, _ in columns),
        str(line["currency"]),
        *(str(line[key]) for key, _ in COUNTS),
        *(str(line[key]["amount"]) for key, _ in AMOUNTS),
    )
