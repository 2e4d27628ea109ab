"""Deposit search: the brand's deposits by player, status, amount range and time, newest
first, keyset-paged, and the same as CSV (read page by page through the same document)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.audit import _instant
from web.backoffice.console import Console, cursor_param, is_global_id, read_problem
from web.exports import _csv

AREA: Final = "deposits"
PAGE_SIZE: Final = 50
CSV_PAGE_SIZE: Final = 100
CSV_ROWS_MAX: Final = 5_000
STATUSES: Final = ("INITIATED", "PENDING", "SUCCEEDED", "FAILED")
FIELDS: Final = ("player", "status", "currency", "min", "max", "from", "to")


def deposit_filter(query: QueryParams) -> tuple[dict[str, str], dict[str, Any], str | None]:
    """The form's values, the document's variables, and what in the form cannot be sent."""
    values = {name: query.get(name, "").strip()[:200] for name in FIELDS}
    problem = None
    player = values["player"] or None
    if player is not None and not is_global_id(player, "Player"):
        problem = strings.TEXT["invalid_input"]
    at_from = _instant(values["from"]) if values["from"] else None
    at_to = _instant(values["to"]) if values["to"] else None
    if (values["from"] and at_from is None) or (values["to"] and at_to is None):
        problem = strings.TEXT["unreadable_time"]
    if (values["min"] or values["max"]) and not values["currency"]:
        problem = strings.TEXT["amount_needs_currency"]
    variables = {
        "playerId": player,
        "status": [values["status"]] if values["status"] in STATUSES else None,
        "currency": values["currency"].upper() or None,
        "amountMin": values["min"] or None,
        "amountMax": values["max"] or None,
        "from": at_from,
        "to": at_to,
    }
    return values, variables, problem


class DepositPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def search(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        values, variables, problem = deposit_filter(request.query_params)
        connection: dict[str, Any] = {}
        if problem is None:
            result = await self.console.run(
                request,
                "SearchDeposits",
                {**variables, "first": PAGE_SIZE, "after": cursor_param(request)},
            )
            connection = result.data.get("deposits") or {}
            problem = read_problem(result)
        filters = {name: value for name, value in values.items() if value}
        info = connection.get("pageInfo") or {}
        return self.console.render(
            page,
            "deposits.html",
            status=400 if problem else 200,
            error=problem,
            values=values,
            statuses=STATUSES,
            deposits=[edge["node"] for edge in connection.get("edges") or []],
            has_next_page=bool(info.get("hasNextPage")),
            next_query=urlencode({**filters, "after": info.get("endCursor") or ""}),
            csv_query=urlencode(filters),
        )

    async def csv(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        _, variables, problem = deposit_filter(request.query_params)
        if problem is not None:
            title = strings.TEXT["deposit_search"]
            return self.console.render(
                page, "message.html", status=400, title=title, message=problem
            )
        rows: list[tuple[str, ...]] = [
            ("id", "created_at", "completed_at", "status", "player_id", "amount", "currency",
             "failure_reason"),
        ]  # fmt: skip
        after = None
        while len(rows) <= CSV_ROWS_MAX:
            result = await self.console.run(
                request, "SearchDeposits", {**variables, "first": CSV_PAGE_SIZE, "after": after}
            )
            connection = result.data.get("deposits") or {}
            rows.extend(_row(edge["node"]) for edge in connection.get("edges") or [])
            info = connection.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or after is None:
                break
        return Response(
            _csv(rows[: CSV_ROWS_MAX + 1]),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="deposits.csv"',
                "cache-control": "no-store",
            },
        )


def _row(node: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        node["id"], node["createdAt"], node.get("completedAt") or "", node["status"],
        node["playerId"], str(node["amount"]["amount"]), node["amount"]["currency"],
        node.get("failureReason") or "",
    )  # fmt: skip
