"""Campaigns: CRM staff send a message to a segment on one channel (inbox, e-mail or SMS),
now or at a moment, at most `throttle_per_minute` recipients a minute.

When a campaign is first due, its audience is fixed from the segment's members then, each
as one `campaign_recipients` row (the primary key: each player gets it once): protected
players (domain.segments.consent.protected) and players without consent on the channel
are recorded as suppressed and never messaged, and so are players the channel cannot reach
(no e-mail address; no verified phone). Each batch then messages pending recipients
in one transaction that also marks them sent, so a batch that runs twice (a redelivered
event, the scheduler and the actor at once) finds nothing left to send; the campaign row is
locked while a batch runs. Protection is checked again at send time: a player who
self-excludes after the audience was fixed gets nothing.

Channels are a small table (`CHANNELS`: how to send, and whom the channel can reach):
e-mail goes through messaging's queue (rendered from the brand's `campaign` templates,
with a signed List-Unsubscribe link), text messages through messaging's SMS queue to the
profile's verified mobile phone (rendered from the brand's `sms/campaign.txt` in the player's
language, ending with a signed opt-out link), the inbox through messaging's inbox.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)

from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.compliance.kyc.models import PlayerProfile
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit
from domain.messaging import mail, sms
from domain.messaging.models import EmailKind, EmailMessage, EmailStatus, SmsMessage, SmsStatus
from domain.messaging.service import deliver_to_inbox
from domain.segments import consent
from domain.segments.errors import (
    CampaignNotFound,
    ChannelUnavailable,
    InvalidCampaign,
    SegmentNotFound,
)
from domain.segments.events import CampaignDue
from domain.segments.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    ConsentChannel,
    RecipientOutcome,
    Segment,
    SegmentMember,
)

NAME_LENGTH_MAX: Final = 100
SUBJECT_LENGTH_MAX: Final = 200
TEXT_LENGTH_MAX: Final = 10_000
# A text message carries at most 1,600 characters; the rest is the opt-out line.
SMS_TEXT_LENGTH_MAX: Final = 1_000
LOCALES_MAX: Final = 20
THROTTLE_PER_MINUTE_MAX: Final = 100_000
SCHEDULE_DAYS_MAX: Final = 365
CAMPAIGNS_PAGE_MAX: Final = 100
PERMISSION: Final = Permission.PLAYER_MESSAGE_SEND
THROTTLE_WINDOW: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class Content:
    subject: str
    text: str


@dataclass(frozen=True)
class Counts:
    targeted: int = 0
    suppressed_consent: int = 0
    suppressed_protected: int = 0
    suppressed_unreachable: int = 0
    pending: int = 0
    sent: int = 0
    failed: int = 0


@dataclass(frozen=True)
class CampaignView:
    campaign: Campaign
    counts: Counts


# (unit of work, campaign, player, content, the channel's address of the player as the
# batch's query read it): the message's id, or None when it could not be queued.
Send = Callable[[UnitOfWork, Campaign, Player, Content, str | None], Awaitable[uuid.UUID | None]]


async def _send_inbox(
    uow: UnitOfWork, campaign: Campaign, player: Player, content: Content, _: str | None
) -> uuid.UUID | None:
    message = await deliver_to_inbox(
        uow, brand=campaign.brand, player_id=player.id, kind="campaign",
        subject=content.subject, body=content.text,
    )  # fmt: skip
    return message.id


async def _send_email(
    uow: UnitOfWork, campaign: Campaign, player: Player, content: Content, email: str | None
) -> uuid.UUID | None:
    if not email:
        return None
    token = consent.unsubscribe_token(campaign.brand, player.id, ConsentChannel.EMAIL)
    message = await mail.queue(
        uow,
        brand=campaign.brand,
        kind=EmailKind.CAMPAIGN,
        recipient=email,
        locale=player.locale,
        player_id=player.id,
        parameters={
            "subject": content.subject,
            "text": content.text,
            "unsubscribe_url": f"{campaign.origin}/unsubscribe?token={quote(token)}",
        },
    )
    return message.id


async def _send_sms(
    uow: UnitOfWork, campaign: Campaign, player: Player, content: Content, phone: str | None
) -> uuid.UUID | None:
    if not phone:
        return None
    token = consent.unsubscribe_token(campaign.brand, player.id, ConsentChannel.SMS)
    message = await sms.queue(
        uow,
        brand=campaign.brand,
        recipient=phone,
        player_id=player.id,
        kind="campaign",
        locale=player.locale,
        parameters={
            "text": content.text,
            "unsubscribe_url": f"{campaign.origin}/unsubscribe?token={quote(token)}",
        },
    )
    return message.id


@dataclass(frozen=True)
class Channel:
    send: Send
    # A predicate over Player: the channel has somewhere to send it.
    reachable: Callable[[], ColumnElement[bool]]
    # Where the channel sends to, a column of the batch's one query (never a read per
    # player); NULL for the inbox, which needs no address.
    address: Callable[[], ColumnElement[str | None]]


def _verified_phone() -> ColumnElement[str | None]:
    return (
        select(PlayerProfile.phone)
        .where(
            PlayerProfile.player_id == Player.id,
            PlayerProfile.phone.is_not(None),
            PlayerProfile.phone_verified_at.is_not(None),
        )
        .scalar_subquery()
    )


CHANNELS: Final[Mapping[ConsentChannel, Channel]] = {
    ConsentChannel.INBOX: Channel(_send_inbox, true, lambda: literal(None)),
    ConsentChannel.EMAIL: Channel(
        _send_email, lambda: Player.email.is_not(None), lambda: Player.email.expression
    ),
    # Only the profile's phone, once the player proved it is theirs (compliance.kyc.phone):
    # a number typed wrong belongs to someone else, who never agreed to anything.
    ConsentChannel.SMS: Channel(_send_sms, lambda: _verified_phone().is_not(None), _verified_phone),
}


def _printable(line: str) -> bool:
    """No control characters (\r, \n, \t ...) nor Unicode line or paragraph separators:
    a subject is one line in every mail header and inbox row."""
    return not any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in line)


def _content(raw: Mapping[str, Any], channel: ConsentChannel) -> dict[str, dict[str, str]]:
    """The words by locale, checked for the channel: a text message has no subject (one
    given is refused, not silently dropped) and a shorter text; the inbox and e-mail need
    a one-line subject. Errors: InvalidCampaign."""
    texted = channel == ConsentChannel.SMS
    text_length_max = SMS_TEXT_LENGTH_MAX if texted else TEXT_LENGTH_MAX
    if not raw or len(raw) > LOCALES_MAX:
        raise InvalidCampaign(f"Give words for 1-{LOCALES_MAX} locales.", field="content")
    out: dict[str, dict[str, str]] = {}
    for locale, words in raw.items():
        if not (
            isinstance(locale, str) and 2 <= len(locale) <= 10 and locale.replace("_", "").isalpha()
        ):
            raise InvalidCampaign("Each locale is a code such as en or de_AT.", field="content")
        subject = str(words.get("subject") or "").strip()
        text = str(words.get("text") or "").strip()
        if texted and subject:
            raise InvalidCampaign("A text message has no subject: leave it out.", field="content")
        if not texted and (
            not subject or len(subject) > SUBJECT_LENGTH_MAX or not _printable(subject)
        ):
            raise InvalidCampaign(
                f"Each subject is one line of 1-{SUBJECT_LENGTH_MAX} characters.", field="content"
            )
        if not text or len(text) > text_length_max:
            raise InvalidCampaign(f"Each text is 1-{text_length_max} characters.", field="content")
        out[locale] = {"subject": subject, "text": text}
    return out


def content_for(campaign: Campaign, locale: str, default_locale: str) -> Content:
    """The words in the player's locale, else its language, else the brand's default,
    else the first given."""
    words: Mapping[str, Mapping[str, str]] = campaign.content
    chosen = (
        words.get(locale)
        or words.get(locale.split("_", maxsplit=1)[0])
        or words.get(default_locale)
        or next(iter(words.values()))
    )
    return Content(chosen["subject"], chosen["text"])


async def create(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    *,
    segment_id: uuid.UUID | None,
    name: str,
    channel: ConsentChannel,
    content: Mapping[str, Any],
    send_at: datetime | None,
    throttle_per_minute: int,
    origin: str,
) -> CampaignView:
    """Schedule a campaign (now when `send_at` is None or past); audited.
    Errors: PermissionDenied, SegmentNotFound, ChannelUnavailable, InvalidCampaign."""
    actor = require_permission(staff, PERMISSION, brand)
    name = name.strip()
    if not name or len(name) > NAME_LENGTH_MAX or not name.isprintable():
        raise InvalidCampaign(f"Give a name of 1-{NAME_LENGTH_MAX} characters.", field="name")
    if channel not in CHANNELS:
        raise ChannelUnavailable()
    if not 1 <= throttle_per_minute <= THROTTLE_PER_MINUTE_MAX:
        raise InvalidCampaign(
            f"The throttle is 1-{THROTTLE_PER_MINUTE_MAX} a minute.", field="throttlePerMinute"
        )
    now = clock.now()
    if send_at is not None and send_at > now + timedelta(days=SCHEDULE_DAYS_MAX):
        raise InvalidCampaign(f"Schedule at most {SCHEDULE_DAYS_MAX} days ahead.", field="sendAt")
    segment = await uow.session.scalar(
        select(Segment).where(Segment.id == segment_id, Segment.brand == brand,
                              Segment.archived_at.is_(None))
    )  # fmt: skip
    if segment_id is None or segment is None:
        raise SegmentNotFound(field="segmentId")
    campaign = Campaign(
        id=uuid.uuid4(), brand=brand, segment_id=segment.id, name=name, channel=channel,
        content=_content(content, channel),
        send_at=max(send_at or now, now),
        throttle_per_minute=throttle_per_minute, status=CampaignStatus.SCHEDULED,
        created_by=actor.id, origin=origin,
    )  # fmt: skip
    uow.session.add(campaign)
    await uow.flush()
    await audit.record(
        uow, actor_kind="staff", actor_id=actor.id, action="campaign.created",
        subject_type="campaign", subject_id=campaign.id, brand=brand,
        after={"name": name, "segment": str(segment.id), "channel": channel.value,
               "send_at": campaign.send_at.isoformat(), "throttle_per_minute": throttle_per_minute},
    )  # fmt: skip
    if campaign.send_at <= now:
        await emit(uow, CampaignDue(campaign_id=str(campaign.id)), brand=brand)
    return CampaignView(campaign, Counts())


async def cancel(
    uow: UnitOfWork, staff: Principal | None, brand: str, campaign_id: uuid.UUID | None
) -> CampaignView:
    """Stop a campaign that has not finished: recipients not yet messaged never are (those
    already messaged keep their message). Cancelling again changes nothing. Audited.
    Errors: PermissionDenied, CampaignNotFound."""
    actor = require_permission(staff, PERMISSION, brand)
    found = await uow.session.scalar(
        select(Campaign)
        .where(Campaign.id == campaign_id, Campaign.brand == brand)
        .with_for_update()
    )
    if campaign_id is None or found is None:
        raise CampaignNotFound(field="campaignId")
    if found.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        before = found.status
        found.status = CampaignStatus.CANCELLED
        found.finished_at = clock.now()
        await uow.flush()
        await audit.record(
            uow, actor_kind="staff", actor_id=actor.id, action="campaign.cancelled",
            subject_type="campaign", subject_id=found.id, brand=brand,
            before={"status": before}, after={"status": found.status},
        )  # fmt: skip
    return CampaignView(found, (await counts_of(uow, [found.id]))[found.id])


async def _target(uow: UnitOfWork, campaign: Campaign, now: datetime) -> None:
    """Fix the audience: the segment's members now, each once, suppressed or pending."""
    channel = ConsentChannel(campaign.channel)
    outcome = case(
        (consent.protected(now), literal(RecipientOutcome.SUPPRESSED_PROTECTED.value)),
        (~consent.consented(channel), literal(RecipientOutcome.SUPPRESSED_CONSENT.value)),
        (~CHANNELS[channel].reachable(), literal(RecipientOutcome.SUPPRESSED_UNREACHABLE.value)),
        else_=literal(RecipientOutcome.PENDING.value),
    )
    decided = case((outcome == RecipientOutcome.PENDING.value, None), else_=literal(now))
    members = (
        select(literal(campaign.id), Player.id, outcome, decided)
        .join(SegmentMember, and_(SegmentMember.player_id == Player.id,
                                  SegmentMember.segment_id == campaign.segment_id))
        .where(Player.brand == campaign.brand)
    )  # fmt: skip
    await uow.session.execute(
        insert(CampaignRecipient).from_select(
            ["campaign_id", "player_id", "outcome", "decided_at"], members
        )
    )
    campaign.targeted_at = now
    campaign.status = CampaignStatus.SENDING


async def send_batch(uow: UnitOfWork, campaign_id: uuid.UUID, default_locale: str) -> int:
    """Send the campaign's next batch if it is due, within its throttle; returns how many
    were messaged. Safe to run twice or at once: the campaign row is locked, and only
    pending recipients are sent, marked sent in this transaction."""
    now = clock.now()
    campaign = await uow.session.scalar(
        select(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.status.in_([CampaignStatus.SCHEDULED, CampaignStatus.SENDING]),
            Campaign.send_at <= now,
        )
        .with_for_update(skip_locked=True)
    )
    if campaign is None:
        return 0
    if campaign.targeted_at is None:
        await _target(uow, campaign, now)
    sent_lately = await uow.session.scalar(
        select(func.count()).where(
            CampaignRecipient.campaign_id == campaign.id,
            CampaignRecipient.outcome.in_([RecipientOutcome.SENT, RecipientOutcome.FAILED]),
            CampaignRecipient.decided_at > now - THROTTLE_WINDOW,
        )
    )
    room = campaign.throttle_per_minute - int(sent_lately or 0)
    batch = await _pending(uow, campaign, max(room, 0), now)
    sender = CHANNELS[ConsentChannel(campaign.channel)].send
    messaged = 0
    for player, is_protected, has_consent, is_reachable, address in batch:
        if is_protected or not has_consent or not is_reachable:
            # Re-checked at send time: a player protected, who withdrew consent or whose
            # address is gone since the audience was taken is not messaged.
            suppressed = (
                RecipientOutcome.SUPPRESSED_PROTECTED
                if is_protected
                else RecipientOutcome.SUPPRESSED_CONSENT
                if not has_consent
                else RecipientOutcome.SUPPRESSED_UNREACHABLE
            )
            await _decide(
                uow, campaign, player_id=player.id, outcome=suppressed, message_id=None, now=now,
            )  # fmt: skip
            continue
        content = content_for(campaign, player.locale, default_locale)
        message_id = await sender(uow, campaign, player, content, address)
        outcome = RecipientOutcome.SENT if message_id else RecipientOutcome.FAILED
        await _decide(
            uow, campaign, player_id=player.id, outcome=outcome, message_id=message_id, now=now
        )
        messaged += message_id is not None
    remaining = await uow.session.scalar(
        select(func.count()).where(
            CampaignRecipient.campaign_id == campaign.id,
            CampaignRecipient.outcome == RecipientOutcome.PENDING,
        )
    )
    if not remaining:
        campaign.status = CampaignStatus.DONE
        campaign.finished_at = now
    await uow.flush()
    return messaged


async def _pending(
    uow: UnitOfWork, campaign: Campaign, limit: int, now: datetime
) -> Sequence[tuple[Player, bool, bool, bool, str | None]]:
    """Up to `limit` pending recipients, each with whether it is protected, whether it
    still consents to the campaign's channel, whether the channel reaches it and where
    (all as of now, not as of targeting), in one query."""
    if limit <= 0:
        return []
    channel = ConsentChannel(campaign.channel)
    found = await uow.session.execute(
        select(
            Player,
            consent.protected(now),
            consent.consented(channel),
            CHANNELS[channel].reachable(),
            CHANNELS[channel].address(),
        )
        .join(CampaignRecipient, CampaignRecipient.player_id == Player.id)
        .where(
            CampaignRecipient.campaign_id == campaign.id,
            CampaignRecipient.outcome == RecipientOutcome.PENDING,
        )
        .order_by(Player.id)
        .limit(limit)
    )
    return [
        (player, bool(is_protected), bool(has_consent), bool(is_reachable), address)
        for player, is_protected, has_consent, is_reachable, address in found.all()
    ]


async def _decide(
    uow: UnitOfWork,
    campaign: Campaign,
    *,
    player_id: uuid.UUID,
    outcome: RecipientOutcome,
    message_id: uuid.UUID | None,
    now: datetime,
) -> None:
    await uow.session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id == campaign.id,
            CampaignRecipient.player_id == player_id,
            CampaignRecipient.outcome == RecipientOutcome.PENDING,
        )
        .values(outcome=outcome, message_id=message_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )


async def due(uow: UnitOfWork, *, limit: int = 100) -> int:
    """Emit CampaignDue for every campaign due now that still has work (the scheduler's
    tick: scheduled ones reaching their moment, throttled ones owed their next batch)."""
    found = (
        await uow.session.execute(
            select(Campaign.id, Campaign.brand)
            .where(
                Campaign.status.in_([CampaignStatus.SCHEDULED, CampaignStatus.SENDING]),
                Campaign.send_at <= clock.now(),
            )
            .order_by(Campaign.send_at)
            .limit(limit)
        )
    ).all()
    for campaign_id, brand in found:
        await emit(uow, CampaignDue(campaign_id=str(campaign_id)), brand=brand)
    return len(found)


async def counts_of(uow: UnitOfWork, campaign_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Counts]:
    """Each campaign's figures in one statement. An e-mail that failed or bounced, or a
    text message that failed, after it was queued counts as failed, not sent."""
    if not campaign_ids:
        return {}
    failed_message = or_(
        EmailMessage.status.in_([EmailStatus.FAILED, EmailStatus.BOUNCED]),
        SmsMessage.status == SmsStatus.FAILED,
    )
    outcome = case(
        (and_(CampaignRecipient.outcome == RecipientOutcome.SENT, failed_message),
         literal(RecipientOutcome.FAILED.value)),
        else_=CampaignRecipient.outcome,
    )  # fmt: skip
    rows = await uow.session.execute(
        select(CampaignRecipient.campaign_id, outcome, func.count())
        .outerjoin(EmailMessage, EmailMessage.id == CampaignRecipient.message_id)
        .outerjoin(SmsMessage, SmsMessage.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id.in_(campaign_ids))
        .group_by(CampaignRecipient.campaign_id, outcome)
    )
    found: dict[uuid.UUID, dict[str, int]] = {campaign_id: {} for campaign_id in campaign_ids}
    for campaign_id, state, count in rows.all():
        found[campaign_id][state] = int(count)
    return {
        campaign_id: Counts(
            targeted=sum(by_state.values()),
            suppressed_consent=by_state.get(RecipientOutcome.SUPPRESSED_CONSENT, 0),
            suppressed_protected=by_state.get(RecipientOutcome.SUPPRESSED_PROTECTED, 0),
            suppressed_unreachable=by_state.get(RecipientOutcome.SUPPRESSED_UNREACHABLE, 0),
            pending=by_state.get(RecipientOutcome.PENDING, 0),
            sent=by_state.get(RecipientOutcome.SENT, 0),
            failed=by_state.get(RecipientOutcome.FAILED, 0),
        )
        for campaign_id, by_state in found.items()
    }


async def campaigns(
    uow: UnitOfWork, staff: Principal | None, brand: str, *, first: int
) -> list[CampaignView]:
    """The brand's campaigns, newest first, with their figures (two statements)."""
    require_permission(staff, PERMISSION, brand)
    found = (
        await uow.session.scalars(
            select(Campaign)
            .where(Campaign.brand == brand)
            .order_by(Campaign.created_at.desc(), Campaign.id)
            .limit(max(1, min(first, CAMPAIGNS_PAGE_MAX)))
        )
    ).all()
    counts = await counts_of(uow, [row.id for row in found])
    return [CampaignView(row, counts[row.id]) for row in found]


async def campaign(
    uow: UnitOfWork, staff: Principal | None, brand: str, campaign_id: uuid.UUID | None
) -> CampaignView:
    require_permission(staff, PERMISSION, brand)
    found = await uow.session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.brand == brand)
    )
    if campaign_id is None or found is None:
        raise CampaignNotFound(field="campaignId")
    return CampaignView(found, (await counts_of(uow, [found.id]))[found.id])
