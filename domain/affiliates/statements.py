"""Monthly statements: what each affiliate earned in a business month, per currency, from
the reporting read model (the referred players' days), booked once.

    NGR       = the reporting formula over the referred players' figures of the month
    RevShare  = floor((NGR + carried in) x percent / 100), never below zero
    carried   = with negative carry-over, a negative (NGR + carried in) moves to the next
                month's statement of that currency; without it, each month starts at zero
    CPA       = the plan's amount for each referred player who, by the month's end, has
                made a first deposit and reached the plan's lifetime deposit and stake
                minimums in that currency; once per player, ever
    total     = RevShare + CPA (hybrid plans earn both; a CPA never offsets a negative NGR)
    adjustment = NGR of the affiliate's earlier, stated months as the read model has it now
                minus what their statements stated (NGR + adjustment): a late correction
                (an event applied after its month's statement, a rebuild) is settled in the
                next statement's RevShare base, (NGR + adjustment + carried in); a stated,
                paid month is never rewritten

A statement is written once per affiliate, month and currency (a unique key), and its
commission is booked through the ledger with an idempotency key of the same three: running
the job twice finds the statements and pays nothing more. Runs of one brand are serialised
by an advisory lock, so two schedulers cannot both count a player's CPA. A month is
computed only once it has ended in the brand's time zone, and the scheduler waits a
further settle delay (STAKEHOUSE_AFFILIATE_STATEMENT_SETTLE_DAYS, by default 1: statements
run from the 2nd) so late figures of the month (events still in the outbox, provider
corrections) are in; what comes later still is the next statement's adjustment.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects.postgresql import insert

from domain.affiliates import postbacks
from domain.affiliates.errors import InvalidMonth, LaterMonthStated, MonthNotClosed
from domain.affiliates.models import Affiliate, CpaAward, PlanKind, Referral, Statement
from domain.affiliates.programme import Plan, plan_of
from domain.brands.models import BrandRow
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.reporting.formula import Formula
from domain.reporting.models import PLAYER_FIGURES, FirstDeposit, PlayerDay
from domain.reporting.players import PlayerFigures
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind
from domain.wallets.service import house_account_id, transfer

LEDGER_KIND: Final = "affiliate.commission"
SCOPE: Final = IdempotencyScope("affiliates", "statement")
COMMISSIONS: Final = HouseAccountKind.AFFILIATE_COMMISSIONS
PAYABLE: Final = HouseAccountKind.AFFILIATE_PAYABLE


# Months a statement (or a view) may name: far from date's own limits, so a month's
# neighbours always exist.
MONTH_FIRST: Final = date(2000, 1, 1)
# The scheduler waits at most this many days of the new month before stating the last.
SETTLE_DAYS_MAX: Final = 27
MONTH_LAST: Final = date(9998, 12, 1)


def checked_month(month: date) -> date:
    """The month's first day. Errors: InvalidMonth (outside MONTH_FIRST..MONTH_LAST)."""
    first = month.replace(day=1)
    if not MONTH_FIRST <= first <= MONTH_LAST:
        raise InvalidMonth(field="month")
    return first


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def revshare_minor(ngr_minor: int, carried_in_minor: int, plan: Plan) -> tuple[int, int]:
    """(RevShare earned, carried out) for a month's NGR and what came in. Pure."""
    base = ngr_minor + carried_in_minor
    carried_out = min(base, 0) if plan.negative_carry_over else 0
    if plan.kind is PlanKind.CPA or base <= 0:
        return 0, carried_out
    share = (Decimal(base) * plan.revshare_percent / 100).to_integral_value(ROUND_FLOOR)
    return int(share), carried_out


@dataclass
class _Line:
    players: int = 0
    ngr_minor: int = 0
    adjustment_ngr_minor: int = 0
    cpa_players: list[tuple[uuid.UUID, int]] = field(default_factory=list)


async def _late_ngr(
    uow: UnitOfWork, brand: str, first: date, formula: Formula
) -> dict[tuple[uuid.UUID, str], int]:
    """Per affiliate and currency with statements before `first`: the NGR the read model
    has now for the days from its first stated month to `first` (the formula is linear,
    so it is the sum of those months' NGR) minus what those statements stated."""
    stated = (
        select(
            Statement.affiliate_id,
            Statement.currency,
            func.min(Statement.month).label("since"),
            func.sum(Statement.ngr_minor + Statement.adjustment_ngr_minor).label("stated"),
        )
        .where(Statement.brand == brand, Statement.month < first)
        .group_by(Statement.affiliate_id, Statement.currency)
        .subquery()
    )
    sums = [func.sum(getattr(PlayerDay, name)) for name in PLAYER_FIGURES]
    rows = await uow.session.execute(
        select(stated.c.affiliate_id, stated.c.currency, stated.c.stated, *sums)
        .select_from(stated)
        .join(
            Referral,
            and_(Referral.brand == brand, Referral.affiliate_id == stated.c.affiliate_id),
        )
        .join(
            PlayerDay,
            and_(
                PlayerDay.brand == brand,
                PlayerDay.player_id == Referral.player_id,
                PlayerDay.currency == stated.c.currency,
                PlayerDay.day >= stated.c.since,
                PlayerDay.day < first,
            ),
        )
        .group_by(stated.c.affiliate_id, stated.c.currency, stated.c.stated)
    )
    late: dict[tuple[uuid.UUID, str], int] = {}
    for affiliate_id, currency, stated_minor, *figures in rows:
        summed = dict(zip(PLAYER_FIGURES, (int(v or 0) for v in figures), strict=True))
        delta = PlayerFigures.of(summed, formula).ngr_minor - int(stated_minor or 0)
        if delta:
            late[(affiliate_id, currency)] = delta
    return late


async def _ngr_lines(
    uow: UnitOfWork, brand: str, first: date, last: date, formula: Formula
) -> dict[tuple[uuid.UUID, str], _Line]:
    sums = [func.sum(getattr(PlayerDay, name)) for name in PLAYER_FIGURES]
    rows = await uow.session.execute(
        select(
            Referral.affiliate_id,
            PlayerDay.currency,
            func.count(func.distinct(PlayerDay.player_id)),
            *sums,
        )
        .join(Referral, Referral.player_id == PlayerDay.player_id)
        .where(
            PlayerDay.brand == brand, Referral.brand == brand, PlayerDay.day.between(first, last)
        )
        .group_by(Referral.affiliate_id, PlayerDay.currency)
    )
    lines: dict[tuple[uuid.UUID, str], _Line] = defaultdict(_Line)
    for affiliate_id, currency, players, *figures in rows:
        summed = dict(zip(PLAYER_FIGURES, (int(v or 0) for v in figures), strict=True))
        line = lines[(affiliate_id, currency)]
        line.players, line.ngr_minor = int(players), PlayerFigures.of(summed, formula).ngr_minor
    return lines


async def _cpa_candidates(
    uow: UnitOfWork, brand: str, last: date
) -> list[tuple[uuid.UUID, uuid.UUID, str, int, int]]:
    """(affiliate, player, currency, lifetime deposits, lifetime stakes) of referred players
    with a first deposit by `last` and no CPA yet."""
    rows = await uow.session.execute(
        select(
            Referral.affiliate_id,
            PlayerDay.player_id,
            PlayerDay.currency,
            func.sum(PlayerDay.deposits_minor),
            func.sum(PlayerDay.stakes_minor),
        )
        .join(Referral, Referral.player_id == PlayerDay.player_id)
        .join(
            FirstDeposit,
            and_(FirstDeposit.brand == brand, FirstDeposit.player_id == PlayerDay.player_id),
        )
        .outerjoin(CpaAward, CpaAward.player_id == PlayerDay.player_id)
        .where(
            PlayerDay.brand == brand,
            Referral.brand == brand,
            PlayerDay.day <= last,
            FirstDeposit.day <= last,
            CpaAward.player_id.is_(None),
        )
        .group_by(Referral.affiliate_id, PlayerDay.player_id, PlayerDay.currency)
        .order_by(PlayerDay.player_id)
    )
    return [(a, p, c, int(d or 0), int(s or 0)) for a, p, c, d, s in rows]


async def _carried_in(uow: UnitOfWork, brand: str, month: date) -> dict[tuple[uuid.UUID, str], int]:
    rows = await uow.session.execute(
        select(Statement.affiliate_id, Statement.currency, Statement.carried_out_minor).where(
            Statement.brand == brand,
            Statement.month == previous_month(month),
            Statement.carried_out_minor != 0,
        )
    )
    return {(a, c): int(v) for a, c, v in rows}


async def run_month(
    uow: UnitOfWork, brand: str, month: date, *, today: date, formula: Formula
) -> list[Statement]:
    """Write (and book) this month's statements of every affiliate of the brand that has
    not got one; returns the statements written now (none on a second run).
    `today` is the brand's business day. Errors: InvalidMonth, MonthNotClosed,
    LaterMonthStated (an earlier month run after a later one would skip its carry-over)."""
    first, last = month_bounds(checked_month(month))
    if last >= today:
        raise MonthNotClosed(field="month")
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"affiliates:{brand}"}
    )
    # An affiliate stated for a later month is not stated for this one afterwards (its
    # carry-over would be skipped); a month already stated is left as it is.
    stated_later = set(
        await uow.session.scalars(
            select(Statement.affiliate_id).where(Statement.brand == brand, Statement.month > first)
        )
    )
    stated_now = {
        (row.affiliate_id, row.currency)
        for row in await uow.session.execute(
            select(Statement.affiliate_id, Statement.currency).where(
                Statement.brand == brand, Statement.month == first
            )
        )
    }
    affiliates = {
        a.id: a
        for a in await uow.session.scalars(select(Affiliate).where(Affiliate.brand == brand))
    }
    lines = await _ngr_lines(uow, brand, first, last, formula)
    carried = await _carried_in(uow, brand, first)
    for key in carried:
        lines.setdefault(key, _Line())
    for key, delta in (await _late_ngr(uow, brand, first, formula)).items():
        lines.setdefault(key, _Line()).adjustment_ngr_minor = delta
    for affiliate_id, player_id, currency, deposits, stakes in await _cpa_candidates(
        uow, brand, last
    ):
        terms = plan_of(affiliates[affiliate_id]).cpa.get(currency)
        if terms and deposits >= terms.min_deposit_minor and stakes >= terms.min_stakes_minor:
            lines.setdefault((affiliate_id, currency), _Line()).cpa_players.append(
                (player_id, terms.amount_minor)
            )
    written = []
    for (affiliate_id, currency), line in sorted(
        lines.items(), key=lambda i: (str(i[0][0]), i[0][1])
    ):
        if affiliate_id in stated_later and (affiliate_id, currency) not in stated_now:
            raise LaterMonthStated(field="month")
        statement = await _write(
            uow, affiliates[affiliate_id], first, currency=currency, line=line,
            carried_in=carried.get((affiliate_id, currency), 0),
        )  # fmt: skip
        if statement is not None:
            written.append(statement)
    return written


async def _write(
    uow: UnitOfWork, affiliate: Affiliate, month: date, *, currency: str, line: _Line,
    carried_in: int,
) -> Statement | None:  # fmt: skip
    plan = plan_of(affiliate)
    share, carried_out = revshare_minor(
        line.ngr_minor + line.adjustment_ngr_minor, carried_in, plan
    )
    cpa = sum(amount for _, amount in line.cpa_players)
    statement_id = await uow.session.scalar(
        insert(Statement)
        .values(
            brand=affiliate.brand,
            affiliate_id=affiliate.id,
            month=month,
            currency=currency,
            players=line.players,
            ngr_minor=line.ngr_minor,
            adjustment_ngr_minor=line.adjustment_ngr_minor,
            carried_in_minor=carried_in,
            revshare_minor=share,
            cpa_players=len(line.cpa_players),
            cpa_minor=cpa,
            total_minor=share + cpa,
            carried_out_minor=carried_out,
        )
        .on_conflict_do_nothing()
        .returning(Statement.id)
    )
    if statement_id is None:
        return None  # written by an earlier run: paid then
    for player_id, amount in line.cpa_players:
        await uow.session.execute(
            insert(CpaAward).values(
                player_id=player_id,
                affiliate_id=affiliate.id,
                statement_id=statement_id,
                amount_minor=amount,
            )
        )
        await postbacks.queue(
            uow, affiliate, "cpa",
            {"referral": postbacks.referral_ref(affiliate, player_id), "currency": currency,
             "amount_minor": amount, "month": month.isoformat()},
        )  # fmt: skip
    statement = await uow.session.get(Statement, statement_id)
    assert statement is not None
    if statement.total_minor > 0:
        statement.transaction_id = await _book(uow, statement)
    await postbacks.queue(
        uow, affiliate, "statement",
        {"month": month.isoformat(), "currency": currency, "total_minor": statement.total_minor},
    )  # fmt: skip
    await uow.session.flush()
    return statement


async def _book(uow: UnitOfWork, statement: Statement) -> int:
    """The commission owed, through the ledger: marketing cost to the affiliates' payable
    (both house accounts; paying the affiliate out clears the payable later)."""
    brand, currency = statement.brand, statement.currency
    posting = await transfer(
        uow,
        brand=brand,
        kind=LEDGER_KIND,
        source=await house_account_id(uow, brand, COMMISSIONS, currency),
        destination=await house_account_id(uow, brand, PAYABLE, currency),
        amount_minor=statement.total_minor,
        scope=SCOPE,
        key=f"{statement.affiliate_id}:{statement.month.isoformat()}:{currency}",
        metadata={"affiliate": str(statement.affiliate_id), "statement": statement.id,
                  "month": statement.month.isoformat()},
    )  # fmt: skip
    return posting.transaction_id


async def statements_of(
    uow: UnitOfWork, brand: str, affiliate_id: uuid.UUID, month_from: date, month_to: date
) -> list[Statement]:
    rows = await uow.session.scalars(
        select(Statement)
        .where(
            Statement.brand == brand,
            Statement.affiliate_id == affiliate_id,
            Statement.month.between(month_from.replace(day=1), month_to),
        )
        .order_by(Statement.month, Statement.currency)
    )
    return list(rows)


async def run_last_months(db: Database, formula: Formula, *, settle_days: int = 1) -> int:
    """Last month's statements of every brand (its own time zone) once `settle_days` of
    the new month have passed there (late figures of the month settle first), one short
    transaction per brand: what the scheduler runs every hour; idempotent, so only the
    first run after the delay writes anything. A flow (it opens its own units of work).
    Returns how many statements it wrote."""
    assert 0 <= settle_days <= SETTLE_DAYS_MAX
    async with db.uow() as uow:
        brands = (await uow.session.execute(select(BrandRow.slug, BrandRow.time_zone))).all()
    written = 0
    for slug, time_zone in brands:
        today = clock.now().astimezone(ZoneInfo(time_zone)).date()
        if (today - today.replace(day=1)).days < settle_days:
            continue
        async with db.uow() as uow:
            found = await run_month(
                uow, slug, previous_month(today.replace(day=1)), today=today, formula=formula
            )
            await uow.commit()
        written += len(found)
    return written
