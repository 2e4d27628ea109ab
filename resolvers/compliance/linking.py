"""Resolvers of the person's links: the device a site's script identified, and risk
staff's list of possible duplicate accounts."""

from __future__ import annotations

from domain.compliance import linking
from domain.integrations.devices import DeviceSignal, device_identifier
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def report_device(ctx: Context, token: str) -> Outcome[DeviceSignal]:
    async def run() -> DeviceSignal:
        provider = device_identifier(production=ctx.settings.is_production)
        return await linking.report_device(
            ctx.db, await ctx.principal(), ctx.brand.slug, provider, token
        )

    return await attempt(run)


async def duplicate_flags(ctx: Context, first: int) -> list[linking.FlagView]:
    """Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await linking.duplicate_flags(uow, principal, ctx.brand.slug, first)
