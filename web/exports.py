"""`GET /account/transactions.csv`: the signed-in player's wallet movements as CSV.

The same filters as `Player.transactions` (query parameters `kind` (repeatable), `wallet`,
`from`, `to`), newest first, streamed in keyset batches from one snapshot, at most
`history.EXPORT_ROWS_MAX` rows (more is refused with 422 before anything is streamed:
narrow the date range). Amounts are decimal strings in the currency's units. A cell that
a spreadsheet would run as a formula (starting with = + - @, tab or CR, other than a plain
number such as a negative amount) is prefixed with an apostrophe (CSV injection).

Authentication is the GraphQL endpoint's: a bearer token, or the site's session cookie.
The cookie counts only for a same-origin request (an Origin of the brand, or a browser
navigation that says `Sec-Fetch-Site: same-origin` or `none`; a client sending neither
header is no browser, so no other site's page), so another site cannot trigger a download
with the player's cookie. A token of another brand is unknown here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Final

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from domain.accounts import sessions
from domain.accounts.principal import Principal
from domain.brands.service import Brand
from domain.kernel.db import Database
from domain.kernel.errors import DomainError, NotAuthenticated, PermissionDenied
from domain.kernel.money import from_minor
from domain.wallets import history
from domain.wallets.models import WalletKind
from resolvers.context import SESSION_COOKIE
from schema.ids import ledger_transaction_id
from web.graphql import bearer_token, same_origin

COLUMNS: Final = (
    "created_at",
    "transaction_id",
    "kind",
    "wallet",
    "currency",
    "amount",
    "balance_after",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# a leading apostrophe makes it text. Plain numbers (negative amounts) stay numbers.
_FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# Browsers send these on same-site navigations; a missing header is a non-browser client.
_SAME_SITE_FETCHES: Final = frozenset({"same-origin", "none"})


class InvalidExportFilter(DomainError):
    code = "INVALID_FILTER"


class ExportTooLarge(DomainError):
    code = "EXPORT_TOO_LARGE"
    message = (
        f"The export would exceed {history.EXPORT_ROWS_MAX} rows; narrow the date range "
        "(`from`, `to`)."
    )


def _error(status: int, error: DomainError) -> Response:
    headers = {"cache-control": "no-store"}
    if status == 401:
        headers["www-authenticate"] = "Bearer"
    body = {"error": {"code": error.code, "message": error.message, "field": error.field}}
    return JSONResponse(body, status_code=status, headers=headers)


def _token(request: Request, brand: Brand) -> str | None:
    token = bearer_token(request.headers.get("authorization"))
    if token:
        return token
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    if "origin" in request.headers:
        return cookie if same_origin(request, brand) else None
    fetch_site = request.headers.get("sec-fetch-site")
    return cookie if fetch_site is None or fetch_site in _SAME_SITE_FETCHES else None


async def _principal(db: Database, token: str, brand: Brand) -> Principal | None:
    async with db.autocommit() as uow:
        return await sessions.authenticate_token(uow, token, brand.slug)


def _moment(params: QueryParams, name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidExportFilter("Use an ISO 8601 date and time.", field=name) from None


def _filters(params: QueryParams) -> history.HistoryFilter:
    """Errors: InvalidExportFilter, history.InvalidHistoryFilter."""
    wallet = params.get("wallet")
    try:
        wallet_kind = WalletKind(wallet.lower()) if wallet else None
    except ValueError:
        raise InvalidExportFilter("Unknown wallet.", field="wallet") from None
    return history.HistoryFilter.of(
        kinds=params.getlist("kind"),
        wallet=wallet_kind,
        since=_moment(params, "from"),
        until=_moment(params, "to"),
    )


def _cell(value: str) -> str:
    if value.startswith(_FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv(rows: list[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [_cell(value) for value in row] for row in rows
    )
    return buffer.getvalue()


def _row(movement: history.Movement) -> tuple[str, ...]:
    return (
        movement.created_at.astimezone(UTC).isoformat(),
        # The id the API gives the same transaction (Player.transactions).
        ledger_transaction_id(movement.transaction_id),
        movement.kind,
        movement.wallet.value,
        movement.currency,
        str(from_minor(movement.amount_minor, movement.currency)),
        str(from_minor(movement.balance_after_minor, movement.currency)),
    )


async def _stream(
    db: Database, brand: str, principal: Principal, filters: history.HistoryFilter
) -> AsyncIterator[str]:
    yield _csv([COLUMNS])
    async with db.uow() as uow:
        batches = history.export_batches(
            uow, brand, principal.id, filters, rows_max=history.EXPORT_ROWS_MAX
        )
        async for batch in batches:
            yield _csv([_row(movement) for movement in batch])


async def transactions_csv(request: Request) -> Response:
    state = request.scope["state"]
    brand: Brand = state["brand"]
    db: Database = state["db"]
    token = _token(request, brand)
    principal = await _principal(db, token, brand) if token else None
    if principal is None:
        return _error(401, NotAuthenticated())
    if not principal.is_player:
        return _error(403, PermissionDenied("Only players have wallets to export."))
    if not principal.fully_authenticated:
        return _error(403, PermissionDenied("Finish signing in (two-factor code) first."))
    try:
        filters = _filters(request.query_params)
    except DomainError as error:
        return _error(400, error)
    async with db.uow() as uow:
        rows = await history.count_for_export(
            uow, brand.slug, principal.id, filters, rows_max=history.EXPORT_ROWS_MAX
        )
    if rows > history.EXPORT_ROWS_MAX:
        return _error(422, ExportTooLarge(field="from"))
    return StreamingResponse(
        _stream(db, brand.slug, principal, filters),
        media_type="text/csv; charset=utf-8",
        headers={
            "cache-control": "no-store",
            "content-disposition": 'attachment; filename="transactions.csv"',
            "x-content-type-options": "nosniff",
        },
    )
