"""Staff reads of the back office's audit and staff pages: the audit log (audit.read) and
the staff list (staff.manage), both over the request's brand."""

from __future__ import annotations

from domain.accounts import audit_log, staff
from domain.accounts.audit_log import AuditFilter, AuditPage, ChainVerification
from domain.accounts.models import StaffUser
from resolvers.context import Context


async def audit_entries(
    ctx: Context, found: AuditFilter, *, first: int, after: str | None
) -> AuditPage:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await audit_log.search(
            uow, principal, ctx.brand.slug, found, first=first, after=after
        )


async def verify_audit_chain(ctx: Context) -> ChainVerification:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await audit_log.verify(uow, principal)


async def staff_members(ctx: Context, search: str | None, first: int) -> list[StaffUser]:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await staff.members(uow, principal, ctx.brand.slug, search, first)
