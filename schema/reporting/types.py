"""Report types: one row per group of the requested dimensions, figures in the group's
currency (amounts never mix currencies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Final

import strawberry

from domain.reporting import players
from domain.reporting.queries import Dimension, ReportingAmounts, ReportPage, ReportRow
from schema.money import Money
from schema.selection import EVERY_FIELD

# Make every field of a line (a caller that does not know the selection).
EVERY: Final = frozenset({EVERY_FIELD})


@strawberry.enum(description="What a report groups by (currency always applies).")
class ReportDimension(Enum):
    DAY = Dimension.DAY.value
    MONTH = Dimension.MONTH.value
    PRODUCT = Dimension.PRODUCT.value
    GAME = Dimension.GAME.value
    PROVIDER = Dimension.PROVIDER.value
    SPORT = Dimension.SPORT.value
    COMPETITION = Dimension.COMPETITION.value
    MARKET_TYPE = Dimension.MARKET_TYPE.value
    CURRENCY = Dimension.CURRENCY.value


@strawberry.input(description="Only rows whose dimension is one of the values (each 1-100).")
class ReportFilter:
    products: list[str] | None = None
    games: list[str] | None = None
    providers: list[str] | None = None
    sports: list[str] | None = None
    competitions: list[str] | None = None
    market_types: list[str] | None = None
    currencies: list[str] | None = None

    def by_dimension(self) -> dict[Dimension, tuple[str, ...]]:
        values = {
            Dimension.PRODUCT: self.products,
            Dimension.GAME: self.games,
            Dimension.PROVIDER: self.providers,
            Dimension.SPORT: self.sports,
            Dimension.COMPETITION: self.competitions,
            Dimension.MARKET_TYPE: self.market_types,
            Dimension.CURRENCY: self.currencies,
        }
        return {d: tuple(v) for d, v in values.items() if v is not None}


def _date(row: ReportRow, dimension: Dimension) -> date | None:
    value = row.keys.get(dimension)
    return date.fromisoformat(value) if value is not None else None


def _money_field(description: str) -> Any:
    """A Money field filled by `ReportLine.of` only when the query selects it: a page has
    up to 500 lines and a dashboard selects a few of their amounts, so each line carries
    ready Money objects for those alone and GraphQL reads them as plain attributes (no
    resolver call per line and field)."""
    return strawberry.field(graphql_type=Money, default=None, description=description)


# A line's Money fields (GraphQL names) and the amount of the line each shows.
_MONEY_AMOUNTS: Final = {
    "stakes": "stakes_minor", "wins": "wins_minor", "ggr": "ggr", "ngr": "ngr",
    "bonusGranted": "bonus_granted_minor", "bonusConverted": "bonus_converted_minor",
    "bonusForfeited": "bonus_forfeited_minor", "bonusCost": "bonus_cost",
    "jackpotContributions": "jackpot_contributions_minor",
    "providerFees": "provider_fees_minor", "taxes": "taxes_minor",
    "deposits": "deposits_minor", "withdrawals": "withdrawals_minor",
    "netDeposits": "net_deposits",
}  # fmt: skip
_PYTHON_NAMES: Final = {
    "bonusGranted": "bonus_granted", "bonusConverted": "bonus_converted",
    "bonusForfeited": "bonus_forfeited", "bonusCost": "bonus_cost",
    "jackpotContributions": "jackpot_contributions", "providerFees": "provider_fees",
    "netDeposits": "net_deposits",
}  # fmt: skip


@strawberry.type(
    description="A line's money in the operator's reporting currency: each day's amounts "
    "at that day's rate from the rates table (README: Reporting currency)."
)
class ReportAmounts:
    currency: str
    stakes: Money
    wins: Money
    ggr: Money
    ngr: Money
    bonus_cost: Money
    deposits: Money
    withdrawals: Money
    net_deposits: Money

    @classmethod
    def of(cls, amounts: ReportingAmounts) -> ReportAmounts:
        c, f = amounts.currency, amounts.figures
        return cls(
            currency=c,
            stakes=Money.of(f["stakes_minor"], c),
            wins=Money.of(f["wins_minor"], c),
            ggr=Money.of(amounts.ggr_minor, c),
            ngr=Money.of(amounts.ngr_minor, c),
            bonus_cost=Money.of(amounts.bonus_cost_minor, c),
            deposits=Money.of(f["deposits_minor"], c),
            withdrawals=Money.of(f["withdrawals_minor"], c),
            net_deposits=Money.of(amounts.net_deposits_minor, c),
        )


@strawberry.type(
    description="A group's figures. Dimensions not asked for are null; '' is an empty "
    "dimension (e.g. the game of a deposit). GGR = stakes - wins; NGR = GGR - the configured "
    "deductions (README: Reporting)."
)
class ReportLine:
    day: date | None
    month: date | None
    product: str | None
    game: str | None
    provider: str | None
    sport: str | None
    competition: str | None
    market_type: str | None
    currency: str
    bets: int
    deposit_count: int
    withdrawal_count: int
    active_players: int
    registrations: int
    first_time_depositors: int
    cursor: str | None = strawberry.field(
        graphql_type=str, default=None, description="Pass as `after` for the lines after it."
    )
    in_reporting_currency: ReportAmounts | None = strawberry.field(
        default=None,
        description="The same amounts in the reporting currency; null when a day of the "
        "line has no rate loaded.",
    )

    stakes: Money | None = _money_field("Stakes, net of rollbacks and refunds.")
    wins: Money | None = _money_field("Wins, net of payout reversals.")
    ggr: Money | None = _money_field("Stakes - wins.")
    ngr: Money | None = _money_field("GGR - the configured deductions.")
    bonus_granted: Money | None = _money_field("Bonus money granted.")
    bonus_converted: Money | None = _money_field("Bonus money made cash.")
    bonus_forfeited: Money | None = _money_field("Bonus money forfeited.")
    bonus_cost: Money | None = _money_field("As configured (README: Reporting).")
    jackpot_contributions: Money | None = _money_field("Zero for now.")
    provider_fees: Money | None = _money_field("Zero for now.")
    taxes: Money | None = _money_field("Zero for now.")
    deposits: Money | None = _money_field("Deposits credited.")
    withdrawals: Money | None = _money_field("Withdrawals paid out.")
    net_deposits: Money | None = _money_field("Deposits - withdrawals.")

    @classmethod
    def of(cls, row: ReportRow, selected: frozenset[str] = EVERY) -> ReportLine:
        """The line, with the Money fields and cursor in `selected` (GraphQL names) made."""
        return cls._of(row, _Selection.of(selected))

    @classmethod
    def _of(cls, row: ReportRow, selection: _Selection) -> ReportLine:
        f, keys = row.figures, row.keys
        currency = keys[Dimension.CURRENCY]
        money = {name: Money.of(_amount(row, figure), currency) for name, figure in selection.money}
        return cls(
            day=_date(row, Dimension.DAY),
            month=_date(row, Dimension.MONTH),
            product=keys.get(Dimension.PRODUCT),
            game=keys.get(Dimension.GAME),
            provider=keys.get(Dimension.PROVIDER),
            sport=keys.get(Dimension.SPORT),
            competition=keys.get(Dimension.COMPETITION),
            market_type=keys.get(Dimension.MARKET_TYPE),
            currency=currency,
            bets=f["bets"],
            deposit_count=f["deposits"],
            withdrawal_count=f["withdrawals"],
            active_players=f["active_players"],
            registrations=f["registrations"],
            first_time_depositors=f["first_depositors"],
            cursor=row.cursor if selection.cursor else None,
            in_reporting_currency=ReportAmounts.of(row.in_reporting) if row.in_reporting else None,
            **money,
        )


def _amount(row: ReportRow, figure: str) -> int:
    if figure == "ggr":
        return row.ggr_minor
    if figure == "ngr":
        return row.ngr_minor
    if figure == "bonus_cost":
        return row.bonus_cost_minor
    if figure == "net_deposits":
        return row.net_deposits_minor
    return row.figures[figure]


@dataclass(frozen=True)
class _Selection:
    """What a page's lines must make, worked out once per page (not per line): the Money
    fields selected, as (Python name, amount), and whether each line's cursor is."""

    money: tuple[tuple[str, str], ...]
    cursor: bool

    @classmethod
    def of(cls, selected: frozenset[str]) -> _Selection:
        every = EVERY_FIELD in selected
        money = tuple(
            (_PYTHON_NAMES.get(name, name), figure)
            for name, figure in _MONEY_AMOUNTS.items()
            if every or name in selected
        )
        return cls(money, every or "cursor" in selected)


@strawberry.type(description="A page of report lines, ordered by the dimensions' values.")
class Report:
    lines: list[ReportLine]
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: ReportPage, selected: frozenset[str] = EVERY) -> Report:
        """The page, its lines made with only the fields in `selected` that need work."""
        selection = _Selection.of(selected)
        return cls(
            lines=[ReportLine._of(row, selection) for row in page.rows],
            has_next_page=page.has_next_page,
            end_cursor=page.rows[-1].cursor if page.rows else None,
        )


@strawberry.type(description="A player's money figures over a span, in one currency.")
class PlayerFigures:
    deposits: Money
    withdrawals: Money
    net_deposits: Money
    stakes: Money
    wins: Money
    ggr: Money
    ngr: Money
    bonus_cost: Money

    @classmethod
    def of(cls, figures: players.PlayerFigures, currency: str) -> PlayerFigures:
        return cls(
            deposits=Money.of(figures.deposits_minor, currency),
            withdrawals=Money.of(figures.withdrawals_minor, currency),
            net_deposits=Money.of(figures.net_deposits_minor, currency),
            stakes=Money.of(figures.stakes_minor, currency),
            wins=Money.of(figures.wins_minor, currency),
            ggr=Money.of(figures.ggr_minor, currency),
            ngr=Money.of(figures.ngr_minor, currency),
            bonus_cost=Money.of(figures.bonus_cost_minor, currency),
        )


@strawberry.type(description="What a player has brought, in one currency (README: Reporting).")
class PlayerValue:
    currency: str
    lifetime: PlayerFigures
    period: PlayerFigures | None = strawberry.field(
        description="Over the asked period; null when none was asked."
    )
    last_activity_at: datetime = strawberry.field(
        description="The player's latest money movement (stake, win, payment, bonus)."
    )

    @classmethod
    def of(cls, value: players.PlayerValue) -> PlayerValue:
        return cls(
            currency=value.currency,
            lifetime=PlayerFigures.of(value.lifetime, value.currency),
            period=PlayerFigures.of(value.period, value.currency) if value.period else None,
            last_activity_at=value.last_activity_at,
        )
