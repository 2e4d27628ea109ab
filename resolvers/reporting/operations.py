"""The dashboard's operations overview for staff with report.read, over the request's brand:
the sportsbook's open liability, failed payments of the last day, and the outbox backlog
(events committed but not yet relayed), and the broker's dead letters. Those are
platform-wide (the broker's queues serve every brand), so only staff who hold every brand
read them: a count across brands is not a brand-scoped figure. Each figure comes from its
own context's read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from domain.accounts.permissions import Permission
from domain.accounts.principal import EVERY_BRAND, reaches, require_permission
from domain.kernel import clock, outbox
from domain.payments.service import reads as payment_reads
from domain.sportsbook import bet_history
from resolvers.context import Context

FAILED_PAYMENTS_WINDOW: Final = timedelta(hours=24)


@dataclass(frozen=True)
class Overview:
    open_liability_minor: dict[str, int]
    failed_payments: int
    outbox_pending: int
    outbox_oldest_at: datetime | None
    # None: the app has no broker to ask, or the reader does not hold every brand.
    dead_letters: int | None
    measured_at: datetime


async def overview(ctx: Context) -> Overview:
    """Errors: NotAuthenticated, PermissionDenied and friends (report.read over the brand)."""
    principal = require_permission(await ctx.principal(), Permission.REPORT_READ, ctx.brand.slug)
    now = clock.now()
    async with ctx.db.uow() as uow:
        liability = await bet_history.open_liability(uow, ctx.brand.slug)
        failed = await payment_reads.failed_since(uow, ctx.brand.slug, now - FAILED_PAYMENTS_WINDOW)
        backlog = await outbox.backlog(uow, ctx.brand.slug)
    dead = None
    if ctx.dead_letters is not None and reaches(principal, EVERY_BRAND):
        dead = await ctx.dead_letters.count()
    return Overview(liability, failed, backlog.pending, backlog.oldest_created_at, dead, now)
