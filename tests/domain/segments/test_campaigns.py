"""Campaigns reach a segment's members with consent on the channel, once each, within
the throttle; protected players and players without consent are counted as suppressed and
never messaged; consent is the player's to give and withdraw (audited), also through a
signed one-click link."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.errors import PermissionDenied
from domain.messaging.models import EmailMessage, InboxMessage
from domain.segments import campaigns, consent, service
from domain.segments.errors import (
    CampaignNotFound,
    ChannelUnavailable,
    InvalidCampaign,
    InvalidUnsubscribeToken,
)
from domain.segments.models import Campaign, ConsentChannel
from tests.domain.segments.support import BRAND, CRM, new_player, self_excluded, staff

WORDS = {
    "en": {"subject": "Double points weekend", "text": "Play this weekend for double points."},
    "de": {"subject": "Doppelte Punkte", "text": "Spielen Sie am Wochenende für doppelte Punkte."},
}


def words_for(channel: ConsentChannel) -> dict[str, dict[str, str]]:
    """WORDS as the channel takes them: a text message has no subject."""
    if channel == ConsentChannel.SMS:
        return {locale: {"text": words["text"]} for locale, words in WORDS.items()}
    return WORDS


async def consent_to(db: Database, player_id: uuid.UUID, *channels: ConsentChannel) -> None:
    async with db.transaction() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        for channel in channels:
            await consent.set_consent(uow, player, channel, granted=True, source="site")


async def listed_segment(db: Database, players: list[uuid.UUID]) -> uuid.UUID:
    csv_text = "\n".join(str(player) for player in players)
    async with db.transaction() as uow:
        view = await service.import_list(uow, CRM, BRAND, "Weekend list", csv_text)
    return view.segment.id


async def new_campaign(
    db: Database, segment_id: uuid.UUID, channel: ConsentChannel, *, throttle: int = 1000
) -> uuid.UUID:
    async with db.transaction() as uow:
        view = await campaigns.create(
            uow, CRM, BRAND, segment_id=segment_id, name="Weekend", channel=channel,
            content=words_for(channel), send_at=None, throttle_per_minute=throttle,
            origin="http://aurora.localhost:8000",
        )  # fmt: skip
    return view.campaign.id


async def run_batch(db: Database, campaign_id: uuid.UUID) -> int:
    async with db.transaction() as uow:
        return await campaigns.send_batch(uow, campaign_id, "en")


async def counts(db: Database, campaign_id: uuid.UUID) -> campaigns.Counts:
    async with db.uow() as uow:
        return (await campaigns.counts_of(uow, [campaign_id]))[campaign_id]


async def test_an_email_campaign_reaches_members_with_consent_once_and_spares_the_protected(
    db: Database, registry: BrandRegistry
) -> None:
    willing = await new_player(db, registry)
    german = await new_player(db, registry, locale="de")
    silent = await new_player(db, registry)
    resting = await new_player(
        db, registry, time_out_until=clock.now() + timedelta(days=1), protection_active=True
    )
    excluded = await new_player(db, registry)
    for player in (willing, german, resting, excluded):
        await consent_to(db, player, ConsentChannel.EMAIL)
    await self_excluded(db, excluded)
    segment_id = await listed_segment(db, [willing, german, silent, resting, excluded])
    campaign_id = await new_campaign(db, segment_id, ConsentChannel.EMAIL)

    assert await run_batch(db, campaign_id) == 2
    assert await run_batch(db, campaign_id) == 0  # the job runs twice

    assert await counts(db, campaign_id) == campaigns.Counts(
        targeted=5, suppressed_consent=1, suppressed_protected=2, pending=0, sent=2, failed=0
    )
    async with db.uow() as uow:
        mails = (
            await uow.session.execute(
                select(EmailMessage.player_id, EmailMessage.locale, EmailMessage.parameters).where(
                    EmailMessage.kind == "campaign"
                )
            )
        ).all()
    assert sorted((row.player_id, row.locale) for row in mails) == sorted(
        [(willing, "en"), (german, "de")]
    )
    by_player = {row.player_id: row.parameters for row in mails}
    assert by_player[german]["subject"] == "Doppelte Punkte"
    assert by_player[willing]["unsubscribe_url"].startswith(
        "http://aurora.localhost:8000/unsubscribe?token="
    )
    async with db.uow() as uow:
        listed = await campaigns.campaigns(uow, CRM, BRAND, first=10)
    assert [(view.campaign.status, view.counts.sent) for view in listed] == [("done", 2)]


async def test_a_player_self_excluded_after_targeting_gets_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    players = [await new_player(db, registry) for _ in range(3)]
    for player in players:
        await consent_to(db, player, ConsentChannel.INBOX)
    segment_id = await listed_segment(db, players)
    campaign_id = await new_campaign(db, segment_id, ConsentChannel.INBOX, throttle=1)
    assert await run_batch(db, campaign_id) == 1
    first_sent = await counts(db, campaign_id)
    assert (first_sent.targeted, first_sent.sent, first_sent.pending) == (3, 1, 2)

    # The throttle holds the rest within the minute.
    assert await run_batch(db, campaign_id) == 0
    async with db.uow() as uow:
        inboxed = set(
            (
                await uow.session.scalars(
                    select(InboxMessage.player_id).where(InboxMessage.kind == "campaign")
                )
            ).all()
        )
    (first,) = inboxed
    later = [player for player in players if player != first]
    await self_excluded(db, later[0])
    for minutes in (1, 2, 3):
        moved = clock.now() + timedelta(minutes=minutes, seconds=1)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(clock, "now", lambda moved=moved: moved)
            await run_batch(db, campaign_id)

    assert await counts(db, campaign_id) == campaigns.Counts(
        targeted=3, suppressed_protected=1, sent=2
    )
    async with db.uow() as uow:
        received = (
            await uow.session.scalars(
                select(InboxMessage.player_id).where(InboxMessage.kind == "campaign")
            )
        ).all()
    assert sorted(received) == sorted([first, later[1]])


async def test_a_player_who_withdraws_consent_mid_campaign_is_suppressed_not_sent(
    db: Database, registry: BrandRegistry
) -> None:
    players = [await new_player(db, registry) for _ in range(2)]
    for player in players:
        await consent_to(db, player, ConsentChannel.INBOX)
    segment_id = await listed_segment(db, players)
    campaign_id = await new_campaign(db, segment_id, ConsentChannel.INBOX, throttle=1)
    assert await run_batch(db, campaign_id) == 1
    async with db.uow() as uow:
        (first,) = (
            await uow.session.scalars(
                select(InboxMessage.player_id).where(InboxMessage.kind == "campaign")
            )
        ).all()
    (later,) = [player for player in players if player != first]
    async with db.transaction() as uow:
        player = await uow.session.get(Player, later)
        assert player is not None
        await consent.set_consent(uow, player, ConsentChannel.INBOX, granted=False, source="site")

    moved = clock.now() + timedelta(minutes=1, seconds=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: moved)
        assert await run_batch(db, campaign_id) == 0

    assert await counts(db, campaign_id) == campaigns.Counts(
        targeted=2, suppressed_consent=1, sent=1
    )
    async with db.uow() as uow:
        received = (
            await uow.session.scalars(
                select(InboxMessage.player_id).where(InboxMessage.kind == "campaign")
            )
        ).all()
    assert received == [first]


async def test_campaigns_are_for_crm_staff_of_the_brand_on_channels_that_exist(
    db: Database, registry: BrandRegistry
) -> None:
    player = await new_player(db, registry)
    segment_id = await listed_segment(db, [player])
    async with db.uow() as uow:
        for refused in (staff("support"), staff("crm", brands=("northstar",))):
            with pytest.raises(PermissionDenied):
                await campaigns.create(
                    uow, refused, BRAND, segment_id=segment_id, name="x",
                    channel=ConsentChannel.INBOX, content=WORDS, send_at=None,
                    throttle_per_minute=10, origin="http://aurora.localhost:8000",
                )  # fmt: skip
        with pytest.raises(ChannelUnavailable):
            await campaigns.create(
                uow, CRM, BRAND, segment_id=segment_id, name="x", channel=ConsentChannel.PUSH,
                content=WORDS, send_at=None, throttle_per_minute=10,
                origin="http://aurora.localhost:8000",
            )  # fmt: skip


async def test_consent_changes_are_audited_and_a_signed_link_withdraws_it(
    db: Database, registry: BrandRegistry
) -> None:
    player = await new_player(db, registry)
    await consent_to(db, player, ConsentChannel.EMAIL)
    token = consent.unsubscribe_token(BRAND, player, ConsentChannel.EMAIL)

    for forged in (token[:-1] + ("0" if token[-1] != "0" else "1"), "x" * 20, token + "."):
        async with db.uow() as uow:
            with pytest.raises(InvalidUnsubscribeToken):
                await consent.unsubscribe(uow, forged, BRAND)
    async with db.uow() as uow:
        with pytest.raises(InvalidUnsubscribeToken):
            await consent.unsubscribe(uow, token, "northstar")

    async with db.transaction() as uow:
        assert await consent.unsubscribe(uow, token, BRAND) == ConsentChannel.EMAIL
    async with db.transaction() as uow:
        await consent.unsubscribe(uow, token, BRAND)  # a second click: nothing more
    async with db.uow() as uow:
        states = {state.channel: state.granted for state in await consent.consents_of(uow, player)}
        actions = (
            await uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_id == str(player), AuditEntry.action.like("marketing%"))
                .order_by(AuditEntry.id)
            )
        ).all()
        reasons = await uow.session.scalar(
            select(func.count()).where(
                AuditEntry.reason == "unsubscribe_link", AuditEntry.subject_id == str(player)
            )
        )
    assert states == {"email": False, "sms": False, "inbox": False, "push": False}
    assert actions == ["marketing_consent.granted", "marketing_consent.withdrawn"]
    assert reasons == 1


async def test_a_cancelled_campaign_sends_nothing_more(
    db: Database, registry: BrandRegistry
) -> None:
    players = [await new_player(db, registry) for _ in range(2)]
    for player in players:
        await consent_to(db, player, ConsentChannel.INBOX)
    segment_id = await listed_segment(db, players)
    campaign_id = await new_campaign(db, segment_id, ConsentChannel.INBOX, throttle=1)
    assert await run_batch(db, campaign_id) == 1
    async with db.transaction() as uow:
        view = await campaigns.cancel(uow, CRM, BRAND, campaign_id)
    assert view.campaign.status == "cancelled"
    later = clock.now() + timedelta(minutes=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: later)
        assert await run_batch(db, campaign_id) == 0
    assert await counts(db, campaign_id) == campaigns.Counts(targeted=2, pending=1, sent=1)
    async with db.uow() as uow:
        with pytest.raises(CampaignNotFound):
            await campaigns.cancel(uow, CRM, "northstar", campaign_id)


@pytest.mark.parametrize(
    "subject",
    ["Double\rpoints", "Double\npoints", "Double\r\nBcc: x@example.com", "Double\u2028points",
     "Double\u2029points", "Double\x85points", "Double\tpoints", "Double\x00points"],
)  # fmt: skip
async def test_a_subject_must_be_one_printable_line(
    db: Database, registry: BrandRegistry, subject: str
) -> None:
    segment_id = await listed_segment(db, [await new_player(db, registry)])
    async with db.transaction() as uow:
        with pytest.raises(InvalidCampaign) as refused:
            await campaigns.create(
                uow, CRM, BRAND, segment_id=segment_id, name="Weekend",
                channel=ConsentChannel.INBOX,
                content={"en": {"subject": subject, "text": "Play this weekend."}},
                send_at=None, throttle_per_minute=10, origin="http://aurora.localhost:8000",
            )  # fmt: skip
    assert refused.value.field == "content"
    async with db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Campaign)) == 0
