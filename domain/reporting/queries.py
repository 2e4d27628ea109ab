"""The report query: one brand's figures over a bounded range of days, grouped by chosen
dimensions, with keyset pagination over the groups. Answered from the read model alone.

Amounts are never summed across currencies: currency is always a group. Active players
are distinct players, so for groups coarser than a cell they are counted from the
activity rows, not summed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, tuple_
from sqlalchemy.sql.expression import cast
from sqlalchemy.types import BigInteger, Date, Text

from domain.kernel.db import Database, UnitOfWork
from domain.reporting.errors import InvalidCursor, InvalidRange, TooManyGroups
from domain.reporting.formula import Formula
from domain.reporting.models import FIGURES, DailyFigures, ExchangeRate, PlayerActivity

RANGE_DAYS_MAX: Final = 400
PAGE_SIZE_MAX: Final = 500
FILTER_VALUES_MAX: Final = 100


class Dimension(StrEnum):
    DAY = "day"
    MONTH = "month"
    PRODUCT = "product"
    GAME = "game"
    PROVIDER = "provider"
    SPORT = "sport"
    COMPETITION = "competition"
    MARKET_TYPE = "market_type"
    CURRENCY = "currency"


# Dimensions a filter may name (day and month are the range).
FILTERABLE: Final = (
    Dimension.PRODUCT, Dimension.GAME, Dimension.PROVIDER, Dimension.SPORT,
    Dimension.COMPETITION, Dimension.MARKET_TYPE, Dimension.CURRENCY,
)  # fmt: skip
# Grouping by all of these (and the day) is one cell: sums of active players are exact.
_CELL: Final = frozenset(FILTERABLE) | {Dimension.DAY}


@dataclass(frozen=True)
class ReportRequest:
    brand: str
    day_from: date
    day_to: date
    dimensions: tuple[Dimension, ...]
    filters: Mapping[Dimension, tuple[str, ...]] = field(default_factory=dict)
    first: int = 100
    after: str | None = None
    # Also convert the amounts into this currency at each day's rate (domain/reporting/rates.py).
    reporting_currency: str | None = None

    def checked(self) -> ReportRequest:
        """Errors: InvalidRange, TooManyGroups (a page or filter over its bound)."""
        if self.day_from > self.day_to or (self.day_to - self.day_from).days >= RANGE_DAYS_MAX:
            raise InvalidRange(field="range")
        if not 1 <= self.first <= PAGE_SIZE_MAX:
            raise TooManyGroups(f"first must be 1 to {PAGE_SIZE_MAX}.", field="first")
        if any(len(v) > FILTER_VALUES_MAX for v in self.filters.values()):
            raise TooManyGroups(f"At most {FILTER_VALUES_MAX} values a filter.", field="filters")
        dims = tuple(dict.fromkeys((*self.dimensions, Dimension.CURRENCY)))
        if Dimension.DAY in dims and Dimension.MONTH in dims:
            dims = tuple(d for d in dims if d is not Dimension.MONTH)
        return ReportRequest(
            self.brand, self.day_from, self.day_to, dims, self.filters, self.first, self.after,
            self.reporting_currency,
        )  # fmt: skip


@dataclass(frozen=True)
class ReportingAmounts:
    """A line's money in the reporting currency: each day's amounts at that day's rate."""

    currency: str
    figures: Mapping[str, int]
    ggr_minor: int
    ngr_minor: int
    bonus_cost_minor: int
    net_deposits_minor: int


@dataclass(frozen=True)
class ReportRow:
    # The group's value per requested dimension (days and months as ISO dates), in the
    # request's dimension order.
    keys: Mapping[Dimension, str]
    figures: Mapping[str, int]
    ggr_minor: int
    ngr_minor: int
    bonus_cost_minor: int
    net_deposits_minor: int
    # None when not asked, or when a day of the line has no rate loaded.
    in_reporting: ReportingAmounts | None = None

    @cached_property
    def cursor(self) -> str:
        """The line's keyset cursor, made when read: a page of 500 lines needs one (its
        end), not 500, unless the query selects each line's."""
        return base64.urlsafe_b64encode(json.dumps(list(self.keys.values())).encode()).decode()


@dataclass(frozen=True)
class ReportPage:
    rows: list[ReportRow]
    has_next_page: bool


def _expression(model: Any, dimension: Dimension) -> ColumnElement[Any]:
    if dimension is Dimension.MONTH:
        return cast(func.date_trunc("month", model.day), Date)
    return getattr(model, dimension.value)  # type: ignore[no-any-return]


def _as_text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _where(model: Any, request: ReportRequest) -> list[ColumnElement[bool]]:
    clauses = [model.brand == request.brand, model.day.between(request.day_from, request.day_to)]
    for dimension, values in request.filters.items():
        clauses.append(getattr(model, dimension.value).in_(values))
    return clauses


def _keyset(model: Any, request: ReportRequest) -> list[ColumnElement[bool]]:
    if request.after is None:
        return []
    try:
        values = json.loads(base64.urlsafe_b64decode(request.after.encode()))
        if not isinstance(values, list) or len(values) != len(request.dimensions):
            raise InvalidCursor(field="after")
        typed: list[Any] = [
            date.fromisoformat(v) if d in (Dimension.DAY, Dimension.MONTH) else str(v)
            for d, v in zip(request.dimensions, values, strict=True)
        ]
    except (ValueError, TypeError):
        raise InvalidCursor(field="after") from None
    expressions = [_expression(model, d) for d in request.dimensions]
    return [tuple_(*expressions) > tuple_(*[cast_value(v) for v in typed])]


def cast_value(value: object) -> ColumnElement[Any]:
    from sqlalchemy import literal  # noqa: PLC0415

    return literal(value, Date if isinstance(value, date) else Text)


def _grouped(
    model: Any, request: ReportRequest, measures: Sequence[Any], *, rates: bool = False
) -> Select[Any]:
    expressions = [_expression(model, d) for d in request.dimensions]
    query = select(*expressions, *measures)
    if rates:
        query = query.outerjoin(
            ExchangeRate,
            and_(
                ExchangeRate.day == model.day,
                ExchangeRate.currency == model.currency,
                ExchangeRate.reporting_currency == request.reporting_currency,
            ),
        )
    return (
        query.where(and_(*_where(model, request), *_keyset(model, request)))
        .group_by(*expressions)
        .order_by(*expressions)
        .limit(request.first + 1)
    )


MONEY_FIGURES: Final = tuple(name for name in FIGURES if name.endswith("_minor"))


async def _in_reporting(
    uow: UnitOfWork, request: ReportRequest, formula: Formula
) -> dict[tuple[str, ...], ReportingAmounts | None]:
    """Each group's money in the reporting currency (None for a group with a day without a
    rate). Same groups, order and page as the report's own query."""
    target = request.reporting_currency
    assert target is not None
    factor = func.coalesce(
        ExchangeRate.minor_rate, case((DailyFigures.currency == target, literal(1)))
    )
    measures = [func.sum(getattr(DailyFigures, name) * factor) for name in MONEY_FIGURES]
    missing = func.count().filter(factor.is_(None))
    rows = await uow.session.execute(
        _grouped(DailyFigures, request, [*measures, missing], rates=True)
    )
    width = len(request.dimensions)
    found: dict[tuple[str, ...], ReportingAmounts | None] = {}
    for row in rows:
        keys = tuple(_as_text(v) for v in row[:width])
        if row[-1]:
            found[keys] = None
            continue
        amounts = [int(Decimal(v or 0).to_integral_value(ROUND_HALF_EVEN)) for v in row[width:-1]]
        figures = dict.fromkeys(FIGURES, 0) | dict(zip(MONEY_FIGURES, amounts, strict=True))
        found[keys] = ReportingAmounts(
            currency=target,
            figures=figures,
            ggr_minor=formula.ggr_minor(figures),
            ngr_minor=formula.ngr_minor(figures),
            bonus_cost_minor=formula.bonus_cost_minor(figures),
            net_deposits_minor=formula.net_deposits_minor(figures),
        )
    return found


async def report(uow: UnitOfWork, request: ReportRequest, formula: Formula) -> ReportPage:
    """One page of the report. Errors: InvalidRange, TooManyGroups, InvalidCursor."""
    request = request.checked()
    width = len(request.dimensions)
    # Summed as bigint (sum(bigint) is numeric: a Decimal per figure and row to convert).
    measures = [cast(func.sum(getattr(DailyFigures, name)), BigInteger) for name in FIGURES]
    rows = (await uow.session.execute(_grouped(DailyFigures, request, measures))).all()
    has_next = len(rows) > request.first
    rows = rows[: request.first]
    distinct: dict[tuple[str, ...], int] = {}
    if rows and not set(request.dimensions) >= _CELL:
        counted = await uow.session.execute(
            _grouped(PlayerActivity, request, [func.count(func.distinct(PlayerActivity.player_id))])
        )
        distinct = {tuple(_as_text(v) for v in row[:width]): int(row[width]) for row in counted}
    converted = (
        await _in_reporting(uow, request, formula)
        if rows and request.reporting_currency is not None
        else {}
    )
    page = []
    counted_players = distinct or not set(request.dimensions) >= _CELL
    dimensions = request.dimensions
    for row in rows:
        keys = tuple(map(_as_text, row[:width]))
        figures = dict(zip(FIGURES, row[width:], strict=True))
        if counted_players:
            figures["active_players"] = distinct.get(keys, 0)
        page.append(
            ReportRow(
                keys=dict(zip(dimensions, keys, strict=True)),
                figures=figures,
                ggr_minor=formula.ggr_minor(figures),
                ngr_minor=formula.ngr_minor(figures),
                bonus_cost_minor=formula.bonus_cost_minor(figures),
                net_deposits_minor=formula.net_deposits_minor(figures),
                in_reporting=converted.get(keys),
            )
        )
    return ReportPage(page, has_next)


async def report_pages(
    db: Database, request: ReportRequest, formula: Formula, *, rows_max: int
) -> AsyncIterator[list[ReportRow]]:
    """Every page of a report, up to `rows_max` rows, each read in its own short
    transaction (keyset over the groups: no snapshot held across the whole walk). A flow:
    it opens its own units of work. Errors: those of `report`, before the first page."""
    sent, after = 0, request.after
    while sent < rows_max:
        page_request = ReportRequest(
            request.brand, request.day_from, request.day_to, request.dimensions,
            request.filters, min(PAGE_SIZE_MAX, rows_max - sent), after,
            request.reporting_currency,
        )  # fmt: skip
        async with db.uow() as uow:
            page = await report(uow, page_request, formula)
        yield page.rows
        sent += len(page.rows)
        if not page.has_next_page or not page.rows:
            return
        after = page.rows[-1].cursor
