"""Affiliates: staff reads and writes over the request's brand only, and the affiliate's
own view by its access key. Each function owns one unit of work."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

from domain.accounts.permissions import Permission
from domain.accounts.principal import require_permission
from domain.affiliates import portal, postbacks, programme, statements
from domain.affiliates.errors import AffiliateNotFound, InvalidPlan
from domain.affiliates.models import Affiliate, Statement, TrackingCode
from domain.affiliates.programme import CreatedAffiliate, Plan
from domain.kernel import clock
from domain.reporting.errors import InvalidRange
from resolvers.context import Context
from resolvers.reporting.reports import formula
from resolvers.results import Outcome, attempt


def brand_today(ctx: Context) -> date:
    """Today in the brand's time zone (its business day)."""
    return clock.now().astimezone(ZoneInfo(ctx.brand.time_zone)).date()


def checked_months(month_from: date, month_to: date) -> tuple[date, date]:
    """Errors: InvalidRange (backwards, over portal.MONTHS_MAX months, or out of the
    months a statement may name)."""
    first, last = month_from.replace(day=1), month_to.replace(day=1)
    if not statements.MONTH_FIRST <= first <= last <= statements.MONTH_LAST:
        raise InvalidRange(f"From 1 to {portal.MONTHS_MAX} months, in order.", field="from")
    months = (last.year - first.year) * 12 + last.month - first.month
    if not 0 <= months < portal.MONTHS_MAX:
        raise InvalidRange(f"From 1 to {portal.MONTHS_MAX} months, in order.", field="from")
    return first, last


async def affiliates(ctx: Context) -> list[tuple[Affiliate, list[TrackingCode]]]:
    """Errors: those of require_permission (report.read)."""
    require_permission(await ctx.principal(), Permission.REPORT_READ, ctx.brand.slug)
    async with ctx.db.uow() as uow:
        found = await programme.affiliates_of(uow, ctx.brand.slug)
        codes = await programme.tracking_codes_of(uow, ctx.brand.slug, [a.id for a in found])
    return [(a, codes[a.id]) for a in found]


async def affiliate_statements(
    ctx: Context, affiliate_id: uuid.UUID | None, month_from: date, month_to: date
) -> list[Statement] | None:
    """None when this brand has no such affiliate. Errors: require_permission's,
    InvalidRange."""
    require_permission(await ctx.principal(), Permission.REPORT_READ, ctx.brand.slug)
    first, last = checked_months(month_from, month_to)
    if affiliate_id is None:
        return None
    async with ctx.db.uow() as uow:
        try:
            await programme.affiliate_of(uow, ctx.brand.slug, affiliate_id)
        except AffiliateNotFound:
            return None
        return await statements.statements_of(uow, ctx.brand.slug, affiliate_id, first, last)


async def portal_view(
    ctx: Context, access_key: str, month_from: date, month_to: date
) -> portal.PortalView | None:
    """The affiliate's own view (None for a key this brand does not know). Errors:
    InvalidRange."""
    first, last = checked_months(month_from, month_to)
    if not 0 < len(access_key) <= 200:
        return None
    async with ctx.db.uow() as uow:
        affiliate = await programme.affiliate_by_key(uow, ctx.brand.slug, access_key)
        if affiliate is None:
            return None
        return await portal.view(
            uow, affiliate, first, last, formula(ctx), time_zone=ctx.brand.time_zone
        )


async def create_affiliate(
    ctx: Context, *, name: str, plan: Plan | InvalidPlan, postback_url: str | None
) -> Outcome[CreatedAffiliate]:
    async def run() -> CreatedAffiliate:
        staff = require_permission(
            await ctx.principal(), Permission.AFFILIATE_MANAGE, ctx.brand.slug
        )
        if isinstance(plan, InvalidPlan):
            raise plan
        async with ctx.db.uow() as uow:
            created = await programme.create_affiliate(
                uow, staff, brand=ctx.brand.slug, name=name, plan=plan, postback_url=postback_url,
                postbacks=postbacks.sender(production=ctx.settings.is_production),
            )  # fmt: skip
            await uow.commit()
        return created

    return await attempt(run)


async def add_tracking_code(
    ctx: Context, affiliate_id: uuid.UUID | None, code: str, campaign: str
) -> Outcome[TrackingCode]:
    async def run() -> TrackingCode:
        staff = require_permission(
            await ctx.principal(), Permission.AFFILIATE_MANAGE, ctx.brand.slug
        )
        if affiliate_id is None:
            raise AffiliateNotFound(field="affiliateId")
        async with ctx.db.uow() as uow:
            found = await programme.add_tracking_code(
                uow, staff, brand=ctx.brand.slug, affiliate_id=affiliate_id, code=code,
                campaign=campaign,
            )  # fmt: skip
            await uow.commit()
        return found

    return await attempt(run)


async def run_statements(ctx: Context, month: date) -> Outcome[list[Statement]]:
    """The brand's statements of a closed month (those already written are left as they
    are and not returned)."""

    async def run() -> list[Statement]:
        require_permission(await ctx.principal(), Permission.AFFILIATE_MANAGE, ctx.brand.slug)
        async with ctx.db.uow() as uow:
            written = await statements.run_month(
                uow, ctx.brand.slug, month, today=brand_today(ctx), formula=formula(ctx)
            )
            await uow.commit()
        return written

    return await attempt(run)
