"""Segments and campaigns for CRM staff, marketing consent for players. Each write owns
its one transaction here; the domain checks permissions and brand scope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from domain.accounts.models import Player
from domain.segments import campaigns, consent, service
from domain.segments.consent import ConsentState
from domain.segments.models import ConsentChannel
from domain.segments.service import SegmentView
from resolvers.context import Context
from resolvers.results import Outcome, attempt


async def segments(ctx: Context, first: int) -> list[SegmentView]:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await service.segments(uow, principal, ctx.brand.slug, first=first)


async def segment(ctx: Context, segment_id: uuid.UUID | None) -> SegmentView:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await service.segment(uow, principal, ctx.brand.slug, segment_id)


async def preview(ctx: Context, rule: dict[str, Any], sample_size: int) -> tuple[int, list[Player]]:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        found = await service.preview(uow, principal, ctx.brand.slug, rule, sample_size)
        sample = await service.sample_players(uow, ctx.brand.slug, found.sample)
    return found.count, sample


async def was_member(
    ctx: Context, segment_id: uuid.UUID | None, player_id: uuid.UUID | None, at: datetime
) -> bool:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await service.was_member(
            uow, principal, ctx.brand.slug, segment_id, player_id=player_id, at=at
        )


async def create_segment(ctx: Context, name: str, rule: dict[str, Any]) -> Outcome[SegmentView]:
    principal = await ctx.principal()

    async def run() -> SegmentView:
        async with ctx.db.uow() as uow:
            view = await service.create_rule_segment(uow, principal, ctx.brand.slug, name, rule)
            await uow.commit()
        return view

    return await attempt(run)


async def import_segment(ctx: Context, name: str, csv_text: str) -> Outcome[SegmentView]:
    principal = await ctx.principal()

    async def run() -> SegmentView:
        async with ctx.db.uow() as uow:
            view = await service.import_list(uow, principal, ctx.brand.slug, name, csv_text)
            await uow.commit()
        return view

    return await attempt(run)


async def archive_segment(ctx: Context, segment_id: uuid.UUID | None) -> Outcome[SegmentView]:
    principal = await ctx.principal()

    async def run() -> SegmentView:
        async with ctx.db.uow() as uow:
            view = await service.archive(uow, principal, ctx.brand.slug, segment_id)
            await uow.commit()
        return view

    return await attempt(run)


async def campaign_list(ctx: Context, first: int) -> list[campaigns.CampaignView]:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await campaigns.campaigns(uow, principal, ctx.brand.slug, first=first)


async def campaign(ctx: Context, campaign_id: uuid.UUID | None) -> campaigns.CampaignView:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await campaigns.campaign(uow, principal, ctx.brand.slug, campaign_id)


async def create_campaign(
    ctx: Context,
    *,
    segment_id: uuid.UUID | None,
    name: str,
    channel: ConsentChannel,
    content: dict[str, Any],
    send_at: datetime | None,
    throttle_per_minute: int,
) -> Outcome[campaigns.CampaignView]:
    principal = await ctx.principal()

    async def run() -> campaigns.CampaignView:
        async with ctx.db.uow() as uow:
            view = await campaigns.create(
                uow, principal, ctx.brand.slug, segment_id=segment_id, name=name,
                channel=channel, content=content, send_at=send_at,
                throttle_per_minute=throttle_per_minute, origin=ctx.link_origin,
            )  # fmt: skip
            await uow.commit()
        return view

    return await attempt(run)


async def cancel_campaign(
    ctx: Context, campaign_id: uuid.UUID | None
) -> Outcome[campaigns.CampaignView]:
    principal = await ctx.principal()

    async def run() -> campaigns.CampaignView:
        async with ctx.db.uow() as uow:
            view = await campaigns.cancel(uow, principal, ctx.brand.slug, campaign_id)
            await uow.commit()
        return view

    return await attempt(run)


async def my_consents(ctx: Context) -> list[ConsentState]:
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await consent.own_consents(uow, principal)


async def set_consent(
    ctx: Context, channel: ConsentChannel, *, granted: bool, source: str
) -> Outcome[ConsentState]:
    principal = await ctx.principal()

    async def run() -> ConsentState:
        async with ctx.db.uow() as uow:
            state = await consent.set_own_consent(
                uow, principal, ctx.brand.slug, channel, granted=granted, source=source
            )
            await uow.commit()
        return state

    return await attempt(run)


async def unsubscribe(ctx: Context, token: str) -> Outcome[ConsentChannel]:
    async def run() -> ConsentChannel:
        async with ctx.db.uow() as uow:
            channel = await consent.unsubscribe(uow, token, ctx.brand.slug)
            await uow.commit()
        return channel

    return await attempt(run)
