"""Player protection resolvers: a player's limits (the player, or staff with player.read),
setting and confirming limits, time-outs and reality checks (the player only)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.accounts.models import Player
from domain.compliance import exclusion, identity, limits, protection
from domain.compliance.errors import InvalidLimit
from domain.compliance.models import LimitKind, LimitPeriod
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.messaging import notices
from resolvers.context import Context
from resolvers.results import Outcome, attempt
from resolvers.wallets.adjustments import amount_minor


async def limits_of(ctx: Context, player_id: uuid.UUID) -> list[limits.Limit]:
    """Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await limits.limits_of(uow, principal, ctx.brand.slug, player_id)


async def linked_players(ctx: Context, player_id: uuid.UUID) -> list[identity.LinkedPlayer]:
    """Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await identity.linked_players(uow, principal, ctx.brand.slug, player_id)


async def reality_check(
    ctx: Context, player_id: uuid.UUID, minutes: int | None, currency: str
) -> protection.RealityCheckState | None:
    """The caller's own reminder state; None when off (no statement), or for anyone else."""
    if minutes is None:
        return None
    principal = await ctx.principal()
    if principal is None or principal.id != player_id:
        return None
    async with ctx.db.uow() as uow:
        return await protection.reality_check(
            uow, principal, ctx.brand.slug, minutes=minutes, currency=currency
        )


def limit_amount(
    kind: LimitKind, amount: str | None, currency: str | None, minutes: int | None
) -> tuple[int, str | None]:
    """(amount in minor units or minutes, currency). Errors: InvalidLimit, InvalidAmount,
    UnsupportedCurrency."""
    if kind is LimitKind.SESSION:
        if minutes is None:
            raise InvalidLimit("Give a session limit in minutes.", field="minutes")
        return minutes, None
    if amount is None or currency is None:
        raise InvalidLimit("Give the limit's amount.", field="amount")
    return amount_minor(amount, currency), currency


async def set_limit(
    ctx: Context,
    *,
    kind: LimitKind,
    period: LimitPeriod,
    amount: str | None,
    currency: str | None,
    minutes: int | None,
) -> Outcome[limits.Limit]:
    async def run() -> limits.Limit:
        value, limit_currency = limit_amount(kind, amount, currency, minutes)
        async with ctx.db.uow() as uow:
            limit = await limits.set_limit(
                uow,
                await ctx.principal(),
                ctx.brand.slug,
                kind=kind,
                period=period,
                amount_minor=value,
                currency=limit_currency,
            )
            await _confirm_by_email(uow, ctx, limit)
            await uow.commit()
        return limit

    return await attempt(run)


async def _confirm_by_email(
    uow: UnitOfWork,
    ctx: Context,
    limit: limits.Limit | None,
    *,
    kind: LimitKind | None = None,
    period: LimitPeriod | None = None,
) -> None:
    """The player's e-mail confirming a limit change, queued with the change (None: the
    limit is gone)."""
    pending = limit.pending if limit is not None else None
    await notices.queue_limit_confirmation(
        uow,
        await ctx.principal(),
        ctx.brand.slug,
        kind=str(limit.kind if limit else kind),
        period=str(limit.period if limit else period),
        amount_minor=limit.amount_minor if limit else None,
        currency=limit.currency if limit else None,
        pending_amount_minor=pending.amount_minor if pending else None,
        pending_from=pending.can_confirm_at if pending else None,
    )


async def remove_limit(
    ctx: Context, *, kind: LimitKind, period: LimitPeriod
) -> Outcome[limits.Limit]:
    async def run() -> limits.Limit:
        async with ctx.db.uow() as uow:
            limit = await limits.remove_limit(
                uow, await ctx.principal(), ctx.brand.slug, kind=kind, period=period
            )
            await _confirm_by_email(uow, ctx, limit)
            await uow.commit()
        return limit

    return await attempt(run)


async def confirm_limit_change(
    ctx: Context, *, kind: LimitKind, period: LimitPeriod
) -> Outcome[limits.Limit | None]:
    async def run() -> limits.Limit | None:
        async with ctx.db.uow() as uow:
            limit = await limits.confirm_change(
                uow, await ctx.principal(), ctx.brand.slug, kind=kind, period=period
            )
            await _confirm_by_email(uow, ctx, limit, kind=kind, period=period)
            await uow.commit()
        return limit

    return await attempt(run)


async def take_time_out(
    ctx: Context, period: protection.TimeOutPeriod, confirmed: bool
) -> Outcome[datetime]:
    async def run() -> datetime:
        async with ctx.db.uow() as uow:
            until = await protection.take_time_out(
                uow, await ctx.principal(), ctx.brand.slug, period=period, confirmed=confirmed
            )
            await uow.commit()
        ctx.signed_out()
        return until

    return await attempt(run)


async def set_reality_check(ctx: Context, minutes: int | None) -> Outcome[int | None]:
    async def run() -> int | None:
        async with ctx.db.uow() as uow:
            chosen = await protection.set_reality_check(
                uow, await ctx.principal(), ctx.brand.slug, minutes=minutes
            )
            await uow.commit()
        return chosen

    return await attempt(run)


async def session_display(ctx: Context) -> protection.SessionDisplay | None:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await protection.session_display(uow, principal, ctx.brand.slug)


async def request_self_exclusion_end(ctx: Context) -> Outcome[datetime]:
    async def run() -> datetime:
        async with ctx.db.uow() as uow:
            request = await exclusion.request_end(uow, await ctx.principal(), ctx.brand.slug)
            await uow.commit()
        return request.lifts_at

    return await attempt(run)


async def acknowledge_reality_check(ctx: Context) -> Outcome[datetime]:
    async def run() -> datetime:
        async with ctx.db.uow() as uow:
            moment = await protection.acknowledge_reality_check(
                uow, await ctx.principal(), ctx.brand.slug
            )
            await uow.commit()
        return moment

    return await attempt(run)


@dataclass(frozen=True)
class RegistrationLimit:
    """A deposit limit chosen on the registration form, in the new account's currency."""

    period: LimitPeriod
    amount: str


async def apply_registration_limit(
    uow: UnitOfWork, player: Player, wanted: RegistrationLimit
) -> None:
    """Set the deposit limit of a player just registered, in the same transaction (the
    registration fails with it). Errors: InvalidLimit (field depositLimit)."""
    try:
        minor = amount_minor(wanted.amount, player.currency)
        await limits.apply_limit(
            uow,
            None,
            player.brand,
            player.id,
            kind=LimitKind.DEPOSIT,
            period=wanted.period,
            amount_minor=minor,
            currency=player.currency,
        )
    except DomainError:
        raise InvalidLimit(
            "Give a positive deposit limit in your currency.", field="depositLimit"
        ) from None
