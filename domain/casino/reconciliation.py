"""Staff reads of a brand's casino rounds: reconciliation against a provider's reports
(rounds opened in a time range, with totals per currency) and big wins.

Totals cover every round of the filter, not just the page: stakes, wins, refunds and the
gross gaming revenue (stakes - refunds - wins). Both need casino.reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Select, func, select, tuple_

from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.casino.lobby import InvalidLobbyFilter
from domain.casino.models import GameRound
from domain.casino.rounds import BigWinRule, RoundCursor, RoundPage, page_of
from domain.kernel.db import UnitOfWork
from domain.kernel.paging import check_page_size

# A reconciliation covers at most a year: past that, ask period by period.
RANGE_MAX: Final = timedelta(days=366)
ROUND_REF_LENGTH_MAX: Final = 100


@dataclass(frozen=True)
class RoundFilter:
    """Rounds opened in [since, until), of one provider and one provider round id if given.
    Naive datetimes are read as UTC."""

    since: datetime
    until: datetime
    provider: str | None = None
    round_ref: str | None = None

    @classmethod
    def of(
        cls,
        *,
        since: datetime,
        until: datetime,
        provider: str | None = None,
        round_ref: str | None = None,
    ) -> RoundFilter:
        """Errors: InvalidLobbyFilter (code INVALID_FILTER)."""
        since, until = _aware(since), _aware(until)
        if since >= until:
            raise InvalidLobbyFilter("`from` must be before `to`.", field="from")
        if until - since > RANGE_MAX:
            raise InvalidLobbyFilter(f"Cover at most {RANGE_MAX.days} days.", field="to")
        if round_ref is not None and not 0 < len(round_ref) <= ROUND_REF_LENGTH_MAX:
            raise InvalidLobbyFilter("That is not a provider round id.", field="roundId")
        return cls(since, until, provider, round_ref)


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    round_count: int
    stakes_minor: int
    wins_minor: int
    refunds_minor: int

    @property
    def gross_gaming_revenue_minor(self) -> int:
        return self.stakes_minor - self.refunds_minor - self.wins_minor


@dataclass(frozen=True)
class Reconciliation:
    page: RoundPage
    totals: list[CurrencyTotals]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _rounds(brand: str, filters: RoundFilter) -> Select[GameRound]:
    statement = select(GameRound).where(
        GameRound.brand == brand,
        GameRound.opened_at >= filters.since,
        GameRound.opened_at < filters.until,
    )
    if filters.provider is not None:
        statement = statement.where(GameRound.provider == filters.provider)
    if filters.round_ref is not None:
        statement = statement.where(GameRound.round_ref == filters.round_ref)
    return statement


async def _page(
    uow: UnitOfWork,
    statement: Select[GameRound],
    rule: BigWinRule,
    first: int,
    after: RoundCursor | None,
) -> RoundPage:
    if after is not None:
        statement = statement.where(
            tuple_(GameRound.opened_at, GameRound.id) < tuple_(after.opened_at, after.round_id)
        )
    ordered = statement.order_by(GameRound.opened_at.desc(), GameRound.id.desc())
    rows = list(await uow.session.scalars(ordered.limit(first + 1)))
    return page_of(rows, first, rule)


async def reconciliation(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    brand: str,
    filters: RoundFilter,
    rule: BigWinRule,
    first: int,
    after: RoundCursor | None = None,
) -> Reconciliation:
    """A page of the filter's rounds (newest first) and its totals per currency: two
    statements. Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired,
    PasswordChangeRequired, InvalidPageSize."""
    require_permission(actor, Permission.CASINO_RECONCILE, brand)
    check_page_size(first)
    page = await _page(uow, _rounds(brand, filters), rule, first, after)
    matching = _rounds(brand, filters).subquery()
    rows = await uow.session.execute(
        select(
            matching.c.currency,
            func.count(),
            func.coalesce(func.sum(matching.c.bet_minor), 0),
            func.coalesce(func.sum(matching.c.win_minor), 0),
            func.coalesce(func.sum(matching.c.refund_minor), 0),
        )
        .group_by(matching.c.currency)
        .order_by(matching.c.currency)
    )
    totals = [
        CurrencyTotals(currency, int(count), int(stakes), int(wins), int(refunds))
        for currency, count, stakes, wins, refunds in rows
    ]
    return Reconciliation(page, totals)


async def big_wins(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    brand: str,
    filters: RoundFilter,
    rule: BigWinRule,
    first: int,
    after: RoundCursor | None = None,
) -> RoundPage:
    """The filter's rounds that the rule flags, newest first: one statement.
    Errors: those of `reconciliation`."""
    require_permission(actor, Permission.CASINO_RECONCILE, brand)
    check_page_size(first)
    return await _page(uow, _rounds(brand, filters).where(rule.condition()), rule, first, after)
