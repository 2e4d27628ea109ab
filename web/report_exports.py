"""`GET /reports/report.csv`: the report query (Query.report) as CSV, for staff with
report.read on the request's brand, by bearer token only (no cookie: the back office's
own pages fetch it with their token, and no other site can trigger it).

Query parameters: `from`, `to` (YYYY-MM-DD, the brand's days, at most 400), `dimension`
(repeatable: day, month, product, game, provider, sport, competition, market_type,
currency) and the filters `product`, `game`, `provider`, `sport`, `competition`,
`market_type`, `currency` (each repeatable). Rows stream page by page, each page read in
its own short transaction (keyset over the groups, so no snapshot is held for the whole
download), at most EXPORT_ROWS_MAX rows. Amounts are decimal strings in the currency's
units; cells a spreadsheet would run as formulas are neutralised as in web/exports.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Final

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.kernel.db import Database
from domain.kernel.errors import DomainError, NotAuthenticated
from domain.kernel.money import from_minor
from domain.kernel.settings import Settings
from domain.reporting import queries
from domain.reporting.formula import Formula
from domain.reporting.queries import FILTERABLE, Dimension, ReportRequest, ReportRow
from web.exports import InvalidExportFilter, _csv, _error, _principal
from web.graphql import bearer_token

EXPORT_ROWS_MAX: Final = 100_000
AMOUNTS: Final = (
    "stakes_minor", "wins_minor", "bonus_granted_minor", "bonus_converted_minor",
    "bonus_forfeited_minor", "jackpot_contributions_minor", "provider_fees_minor",
    "taxes_minor", "deposits_minor", "withdrawals_minor",
)  # fmt: skip
COUNTS: Final = (
    "bets", "deposits", "withdrawals", "active_players", "registrations", "first_depositors"
)  # fmt: skip
DERIVED: Final = ("ggr", "ngr", "bonus_cost", "net_deposits")


def _request(brand: str, request: Request) -> ReportRequest:
    """Errors: InvalidExportFilter."""
    params = request.query_params
    try:
        day_from = date.fromisoformat(params.get("from", ""))
        day_to = date.fromisoformat(params.get("to", ""))
    except ValueError:
        raise InvalidExportFilter("Use dates as YYYY-MM-DD.", field="from") from None
    try:
        dimensions = tuple(Dimension(v.lower()) for v in params.getlist("dimension"))
    except ValueError:
        raise InvalidExportFilter("Unknown dimension.", field="dimension") from None
    filters = {d: tuple(params.getlist(d.value)) for d in FILTERABLE if d.value in params}
    return ReportRequest(
        brand, day_from, day_to, dimensions, filters, first=queries.PAGE_SIZE_MAX
    ).checked()


def _header(request: ReportRequest) -> tuple[str, ...]:
    names = [a.removesuffix("_minor") for a in AMOUNTS]
    return (*(d.value for d in request.dimensions), *COUNTS, *names, *DERIVED)


def _line(request: ReportRequest, row: ReportRow) -> tuple[str, ...]:
    currency = row.keys[Dimension.CURRENCY]

    def amount(minor: int) -> str:
        return str(from_minor(minor, currency))

    derived = (row.ggr_minor, row.ngr_minor, row.bonus_cost_minor, row.net_deposits_minor)
    return (
        *(row.keys[d] for d in request.dimensions),
        *(str(row.figures[c]) for c in COUNTS),
        *(amount(row.figures[a]) for a in AMOUNTS),
        *(amount(v) for v in derived),
    )


async def _stream(db: Database, request: ReportRequest, formula: Formula) -> AsyncIterator[str]:
    yield _csv([_header(request)])
    async for rows in queries.report_pages(db, request, formula, rows_max=EXPORT_ROWS_MAX):
        yield _csv([_line(request, row) for row in rows])


async def report_csv(request: Request) -> Response:
    state = request.scope["state"]
    brand = state["brand"]
    db: Database = state["db"]
    settings: Settings = state["settings"]
    token = bearer_token(request.headers.get("authorization"))
    principal = await _principal(db, token, brand) if token else None
    if principal is None:
        return _error(401, NotAuthenticated())
    try:
        require_permission(principal, Permission.REPORT_READ, brand.slug)
    except DomainError as error:
        return _error(403, error)
    try:
        report_request = _request(brand.slug, request)
    except DomainError as error:
        return _error(400, error)
    formula = Formula.of(settings.report_bonus_cost, settings.report_ngr_deductions)
    return StreamingResponse(
        _stream(db, report_request, formula),
        media_type="text/csv; charset=utf-8",
        headers={
            "cache-control": "no-store",
            "content-disposition": 'attachment; filename="report.csv"',
            "x-content-type-options": "nosniff",
        },
    )
