"""The audit log: the brand's rows by actor (e-mail or id), subject and time, newest
first, keyset-paged, with a CSV of what the filter finds; and, on demand, the chain's
verification (every row of the log is read, so it runs when asked, not on every view)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from strawberry.relay import to_base64

from web.backoffice import strings
from web.backoffice.console import Console, Page, cursor_param, read_problem
from web.exports import _csv

AREA: Final = "audit"
PAGE_SIZE: Final = 50
# The CSV reads pages of 100 up to this many rows (narrow the filter for more).
CSV_ROWS_MAX: Final = 2_000
CSV_PAGE_SIZE: Final = 100
FILTER_CHARS_MAX: Final = 200
FILTERS: Final = ("actor", "subject_type", "subject_id", "from", "to")
CSV_COLUMNS: Final = (
    "number", "at", "actor_kind", "actor_id", "actor_email", "brand", "action",
    "subject_type", "subject_id", "reason", "before", "after",
)  # fmt: skip


def _instant(value: str) -> str | None:
    """A `datetime-local` field's text (UTC) as the API's DateTime, or None."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def audit_filter(query: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any], bool]:
    """The form's values as typed, the document's variables, and whether a time was not
    readable (then it is left out, and the page says so)."""
    values = {name: query.get(name, "").strip()[:FILTER_CHARS_MAX] for name in FILTERS}
    at_from = _instant(values["from"]) if values["from"] else None
    at_to = _instant(values["to"]) if values["to"] else None
    unreadable = bool(values["from"] and at_from is None) or bool(values["to"] and at_to is None)
    variables = {
        "actor": values["actor"] or None,
        "subjectType": values["subject_type"] or None,
        "subjectId": values["subject_id"] or None,
        "from": at_from,
        "to": at_to,
    }
    return values, variables, unreadable


class AuditPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def log(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        values, variables, unreadable = audit_filter(request.query_params)
        result = await self.console.run(
            request,
            "AuditLog",
            {**variables, "first": PAGE_SIZE, "after": cursor_param(request)},
        )
        found: dict[str, Any] = result.data.get("auditLog") or {}
        verification = None
        if request.query_params.get("verify") == "1":
            verification = await self._verify(request, page)
        filters = {name: value for name, value in values.items() if value}
        error = strings.TEXT["unreadable_time"] if unreadable else read_problem(result)
        return self.console.render(
            page,
            "audit.html",
            status=400 if error else 200,
            values=values,
            entries=[_linked(entry) for entry in found.get("entries") or []],
            has_next_page=bool(found.get("hasNextPage")),
            next_query=urlencode({**filters, "after": found.get("endCursor") or ""}),
            csv_query=urlencode(filters),
            verify_query=urlencode({**filters, "verify": "1"}),
            verification=verification,
            error=error,
        )

    async def _verify(self, request: Request, page: Page) -> dict[str, Any]:
        if not self.console.needs.allows("AuditChainVerification", page.viewer.granted):
            return {"refused": True}
        result = await self.console.run(request, "AuditChainVerification")
        found = result.data.get("auditChainVerification")
        return found if found is not None else {"refused": True}

    async def csv(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        _, variables, unreadable = audit_filter(request.query_params)
        if unreadable:
            return self.console.render(
                page, "message.html", status=400, title=strings.TEXT["audit"],
                message=strings.TEXT["unreadable_time"],
            )  # fmt: skip
        rows: list[tuple[str, ...]] = [CSV_COLUMNS]
        after = None
        while len(rows) <= CSV_ROWS_MAX:
            result = await self.console.run(
                request, "AuditLog", {**variables, "first": CSV_PAGE_SIZE, "after": after}
            )
            found = result.data.get("auditLog") or {}
            rows.extend(_row(entry) for entry in found.get("entries") or [])
            after = found.get("endCursor")
            if not found.get("hasNextPage") or after is None:
                break
        response = Response(
            _csv(rows[: CSV_ROWS_MAX + 1]),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="audit-log.csv"',
                "cache-control": "no-store",
            },
        )
        return response


def _linked(entry: dict[str, Any]) -> dict[str, Any]:
    """The row, with the console's page of its subject where there is one (a player)."""
    link = None
    if entry.get("subjectType") == "player":
        link = "/players/" + to_base64("Player", entry["subjectId"])
    return {**entry, "link": link}


def _row(entry: Mapping[str, Any]) -> tuple[str, ...]:
    keys = (
        "number", "at", "actorKind", "actorId", "actorEmail", "brand", "action",
        "subjectType", "subjectId", "reason", "before", "after",
    )  # fmt: skip
    return tuple("" if entry.get(key) is None else str(entry[key]) for key in keys)
