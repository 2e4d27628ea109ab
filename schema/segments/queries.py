"""Segments and campaigns for CRM staff (player.message.send); a player's own consents."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.segments import campaigns as campaign_service
from domain.segments import membership
from domain.segments import service as segment_service
from resolvers.permissions import HasPermission
from resolvers.segments import segments as resolvers
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import uuid_of
from schema.segments.types import (
    Campaign,
    MarketingConsent,
    Segment,
    SegmentPreview,
    SegmentRuleInput,
    SegmentSamplePlayer,
    rule_of,
)


@strawberry.type
class SegmentsQuery:
    @strawberry.field(
        description=f"Staff (player.message.send): the brand's live segments, newest first, "
        f"with member counts (at most {segment_service.SEGMENTS_PAGE_MAX}).",
        extensions=[HasPermission.extension(Permission.PLAYER_MESSAGE_SEND)],
    )
    async def segments(self, info: Info, first: int = 50) -> list[Segment]:
        with as_query_error():
            found = await resolvers.segments(info.context, first)
        return [Segment.of(view) for view in found]

    @strawberry.field(
        description="Staff (player.message.send): one segment of the brand.",
        extensions=[HasPermission.extension(Permission.PLAYER_MESSAGE_SEND)],
    )
    async def segment(self, info: Info, id: relay.GlobalID) -> Segment:
        with as_query_error():
            return Segment.of(await resolvers.segment(info.context, uuid_of(id, "Segment")))

    @strawberry.field(
        description=f"Staff (player.message.send): how many of the brand's players a rule "
        f"matches now and up to {membership.SAMPLE_MAX} of them, newest first; nothing is "
        f"saved.",
        extensions=[HasPermission.extension(Permission.PLAYER_MESSAGE_SEND)],
    )
    async def segment_preview(
        self, info: Info, rule: SegmentRuleInput, sample_size: int = 10
    ) -> SegmentPreview:
        with as_query_error():
            count, sample = await resolvers.preview(info.context, rule_of(rule), sample_size)
        return SegmentPreview(count=count, sample=[SegmentSamplePlayer.of(p) for p in sample])

    @strawberry.field(
        description="Staff (player.message.send): whether a player was in a segment at a "
        "moment (its membership history), e.g. when an offer went out.",
        extensions=[HasPermission.extension(Permission.PLAYER_MESSAGE_SEND)],
    )
    async def segment_membership(
        self, info: Info, segment_id: relay.GlobalID, player_id: relay.GlobalID, at: datetime
    ) -> bool:
        with as_query_error():
            return await resolvers.was_member(
                info.context, uuid_of(segment_id, "Segment"), uuid_of(player_id, "Player"), at
            )

    @strawberry.field(
        description=f"Staff (player.message.send): the brand's campaigns, newest first, with "
        f"their figures (at most {campaign_service.CAMPAIGNS_PAGE_MAX}).",
        extensions=[HasPermission.extension(Permission.PLAYER_MESSAGE_SEND)],
    )
    async def campaigns(self, info: Info, first: int = 50) -> list[Campaign]:
        with as_query_error():
            found = await resolvers.campaign_list(info.context, first)
        return [Campaign.of(view) for view in found]

    @strawberry.field(
        description="Staff (player.message.send): one campaign of the brand.",
        extensions=[HasPermission.extension(Permission.PLAYER_MESSAGE_SEND)],
    )
    async def campaign(self, info: Info, id: relay.GlobalID) -> Campaign:
        with as_query_error():
            return Campaign.of(await resolvers.campaign(info.context, uuid_of(id, "Campaign")))

    @strawberry.field(
        description="Player: your marketing consent on every channel (not given until you give it)."
    )
    async def marketing_consents(self, info: Info) -> list[MarketingConsent]:
        with as_query_error():
            found = await resolvers.my_consents(info.context)
        return [MarketingConsent.of(state) for state in found]
