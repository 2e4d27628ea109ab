"""Segment and campaign writes for CRM staff; marketing consent for players."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.kernel.errors import PermissionDenied
from domain.segments import errors
from domain.segments.models import ConsentChannel
from resolvers.segments import segments as resolvers
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import uuid_of
from schema.segments.types import (
    Campaign,
    MarketingConsent,
    Segment,
    SegmentRuleInput,
    rule_of,
)

_STAFF = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
)


@mutation_error(*_STAFF, errors.InvalidSegmentName, errors.InvalidRule)
class CreateSegmentError(MutationError): ...


@mutation_error(*_STAFF, errors.InvalidSegmentName, errors.InvalidPlayerList)
class ImportSegmentError(MutationError): ...


@mutation_error(*_STAFF, errors.SegmentNotFound)
class ArchiveSegmentError(MutationError): ...


@mutation_error(*_STAFF, errors.SegmentNotFound, errors.InvalidCampaign, errors.ChannelUnavailable)
class CreateCampaignError(MutationError): ...


@mutation_error(*_STAFF, errors.CampaignNotFound)
class CancelCampaignError(MutationError): ...


@mutation_error(account_errors.TwoFactorRequired)
class SetMarketingConsentError(MutationError): ...


@mutation_error(errors.InvalidUnsubscribeToken)
class UnsubscribeError(MutationError): ...


@strawberry.input
class CreateSegmentInput:
    name: str = strawberry.field(description="1-100 printable characters.")
    rule: SegmentRuleInput


@strawberry.input
class ImportSegmentInput:
    name: str
    csv: str = strawberry.field(
        description="One player e-mail address or Player id per row, first column (a header "
        "row is skipped); at most 50,000 rows and 2 MB. Players of other brands are left out."
    )


@strawberry.input
class ArchiveSegmentInput:
    segment_id: relay.GlobalID


@strawberry.input(description="The words of a campaign in one locale.")
class CampaignContentInput:
    locale: str = strawberry.field(description="e.g. en, de, sv_SE.")
    subject: str | None = strawberry.field(
        default=None,
        description="One line, at most 200 characters, for the inbox and e-mail; left out "
        "for SMS (a text message has no subject, and one given is refused).",
    )
    text: str = strawberry.field(
        description="Plain text, at most 10,000 characters; e-mails put it in the brand's "
        "look with an unsubscribe link."
    )


@strawberry.input
class CreateCampaignInput:
    segment_id: relay.GlobalID
    name: str
    channel: ConsentChannel
    content: list[CampaignContentInput] = strawberry.field(
        description="Per locale; a player gets their locale, else their language, else the "
        "brand's default locale, else the first given."
    )
    send_at: datetime | None = strawberry.field(
        default=None, description="When to start (now when null or past; at most a year ahead)."
    )
    throttle_per_minute: int = strawberry.field(
        default=1000, description="At most this many recipients a minute."
    )


@strawberry.input
class CancelCampaignInput:
    campaign_id: relay.GlobalID


@strawberry.input
class SetMarketingConsentInput:
    channel: ConsentChannel
    granted: bool


@strawberry.input
class UnsubscribeInput:
    token: str = strawberry.field(description="The token of an e-mail's unsubscribe link.")


@strawberry.type
class SegmentPayload:
    segment: Segment | None = None


@strawberry.type
class CreateSegmentPayload(SegmentPayload):
    errors: list[CreateSegmentError]


@strawberry.type
class ImportSegmentPayload(SegmentPayload):
    errors: list[ImportSegmentError]


@strawberry.type
class ArchiveSegmentPayload(SegmentPayload):
    errors: list[ArchiveSegmentError]


@strawberry.type
class CreateCampaignPayload:
    campaign: Campaign | None = None
    errors: list[CreateCampaignError]


@strawberry.type
class CancelCampaignPayload:
    campaign: Campaign | None = None
    errors: list[CancelCampaignError]


@strawberry.type
class SetMarketingConsentPayload:
    consent: MarketingConsent | None = None
    errors: list[SetMarketingConsentError]


@strawberry.type
class UnsubscribePayload:
    channel: ConsentChannel | None = None
    errors: list[UnsubscribeError]


@strawberry.type
class SegmentsMutation:
    @strawberry.mutation(
        description="Staff (player.message.send): save a rule segment; it is filled from the "
        "brand's players at once and kept from events afterwards. Audited."
    )
    async def create_segment(self, info: Info, input: CreateSegmentInput) -> CreateSegmentPayload:
        outcome = await resolvers.create_segment(info.context, input.name, rule_of(input.rule))
        return CreateSegmentPayload(
            segment=Segment.of(outcome.value) if outcome.value else None,
            errors=to_errors(CreateSegmentError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (player.message.send): save a static segment from a CSV list. Audited."
    )
    async def import_segment(self, info: Info, input: ImportSegmentInput) -> ImportSegmentPayload:
        outcome = await resolvers.import_segment(info.context, input.name, input.csv)
        return ImportSegmentPayload(
            segment=Segment.of(outcome.value) if outcome.value else None,
            errors=to_errors(ImportSegmentError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (player.message.send): stop keeping a segment (its history stays)."
    )
    async def archive_segment(
        self, info: Info, input: ArchiveSegmentInput
    ) -> ArchiveSegmentPayload:
        outcome = await resolvers.archive_segment(
            info.context, uuid_of(input.segment_id, "Segment")
        )
        return ArchiveSegmentPayload(
            segment=Segment.of(outcome.value) if outcome.value else None,
            errors=to_errors(ArchiveSegmentError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (player.message.send): message a segment's members on a channel, "
        "now or at `sendAt`, within a throttle. Each member gets it once; members without "
        "consent on the channel, and protected players (self-excluded, timed out), are "
        "counted as suppressed and never messaged. Audited."
    )
    async def create_campaign(
        self, info: Info, input: CreateCampaignInput
    ) -> CreateCampaignPayload:
        content = {
            item.locale: {"subject": item.subject, "text": item.text} for item in input.content
        }
        outcome = await resolvers.create_campaign(
            info.context,
            segment_id=uuid_of(input.segment_id, "Segment"),
            name=input.name,
            channel=ConsentChannel(input.channel),
            content=content,
            send_at=input.send_at,
            throttle_per_minute=input.throttle_per_minute,
        )
        return CreateCampaignPayload(
            campaign=Campaign.of(outcome.value) if outcome.value else None,
            errors=to_errors(CreateCampaignError, outcome.errors),
        )

    @strawberry.mutation(
        description="Staff (player.message.send): stop a campaign that has not finished; "
        "recipients not yet messaged never are. Audited."
    )
    async def cancel_campaign(
        self, info: Info, input: CancelCampaignInput
    ) -> CancelCampaignPayload:
        outcome = await resolvers.cancel_campaign(
            info.context, uuid_of(input.campaign_id, "Campaign")
        )
        return CancelCampaignPayload(
            campaign=Campaign.of(outcome.value) if outcome.value else None,
            errors=to_errors(CancelCampaignError, outcome.errors),
        )

    @strawberry.mutation(
        description="Player: give or withdraw your marketing consent on a channel (audited)."
    )
    async def set_marketing_consent(
        self, info: Info, input: SetMarketingConsentInput
    ) -> SetMarketingConsentPayload:
        outcome = await resolvers.set_consent(
            info.context, ConsentChannel(input.channel), granted=input.granted, source="api"
        )
        return SetMarketingConsentPayload(
            consent=MarketingConsent.of(outcome.value) if outcome.value else None,
            errors=to_errors(SetMarketingConsentError, outcome.errors),
        )

    @strawberry.mutation(
        description="Anyone holding an e-mail's signed unsubscribe token: withdraw that "
        "player's consent on that channel (one click; again is harmless)."
    )
    async def unsubscribe(self, info: Info, input: UnsubscribeInput) -> UnsubscribePayload:
        outcome = await resolvers.unsubscribe(info.context, input.token)
        return UnsubscribePayload(
            channel=outcome.value, errors=to_errors(UnsubscribeError, outcome.errors)
        )
