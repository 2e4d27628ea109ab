"""The AML risk queue: staff (aml.review) read the brand's alerts with their interactions,
take them, record interactions and outcomes. Each write owns its transaction here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.compliance.aml import alerts
from domain.compliance.aml.models import (
    AlertOutcome,
    AlertStatus,
    AmlAlert,
    AmlInteraction,
    InteractionKind,
)
from resolvers.context import Context
from resolvers.results import Outcome, attempt


@dataclass(frozen=True)
class AlertView:
    alert: AmlAlert
    interactions: list[AmlInteraction]


async def alert_views(
    ctx: Context,
    *,
    status: AlertStatus | None,
    player_id: uuid.UUID | None,
    first: int,
) -> list[AlertView]:
    """The brand's alerts with their interactions: two statements, however many.
    Errors: NotAuthenticated, PermissionDenied."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        found = await alerts.alerts(
            uow, principal, ctx.brand.slug, status=status, player_id=player_id, first=first
        )
        notes = await alerts.interactions_of(uow, ctx.brand.slug, [row.id for row in found])
    return [AlertView(row, notes.get(row.id, [])) for row in found]


async def _view(ctx: Context, alert_id: uuid.UUID) -> AlertView:
    async with ctx.db.uow() as uow:
        found = await alerts.alert(uow, await ctx.principal(), ctx.brand.slug, alert_id)
        assert found is not None, "the alert was just written"
        notes = await alerts.interactions_of(uow, ctx.brand.slug, [alert_id])
    return AlertView(found, notes.get(alert_id, []))


async def take(ctx: Context, alert_id: uuid.UUID | None) -> Outcome[AlertView]:
    async def run() -> AlertView:
        async with ctx.db.uow() as uow:
            found = await alerts.take(uow, await ctx.principal(), ctx.brand.slug, alert_id)
            await uow.commit()
        return await _view(ctx, found.id)

    return await attempt(run)


async def record_interaction(
    ctx: Context, alert_id: uuid.UUID | None, kind: InteractionKind, note: str
) -> Outcome[AlertView]:
    async def run() -> AlertView:
        async with ctx.db.uow() as uow:
            row = await alerts.record_interaction(
                uow, await ctx.principal(), ctx.brand.slug, alert_id, kind=kind, note=note
            )
            await uow.commit()
        return await _view(ctx, row.alert_id)

    return await attempt(run)


async def close(
    ctx: Context, alert_id: uuid.UUID | None, outcome: AlertOutcome, reason: str
) -> Outcome[AlertView]:
    async def run() -> AlertView:
        async with ctx.db.uow() as uow:
            found = await alerts.close(
                uow, await ctx.principal(), ctx.brand.slug, alert_id, outcome=outcome, reason=reason
            )
            await uow.commit()
        return await _view(ctx, found.id)

    return await attempt(run)
