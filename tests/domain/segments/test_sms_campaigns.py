"""A campaign by text message: it reaches exactly the members who consented to SMS and have
a verified phone (the profile's mobile phone), once each even when its job runs twice, in their language with an
opt-out link, through the SMS port (a real worker, the built-in test provider, the dev SMS
outbox page); the others are counted as suppressed, and the provider's delivery status
moves the campaign's figures."""

from __future__ import annotations

import html
import json
import random
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.compliance.kyc.models import PlayerProfile
from domain.integrations.sms import SMS_SIGNATURE
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import DEV_SMS_WEBHOOK_SECRET
from domain.messaging.models import SmsMessage, SmsStatus
from domain.segments import campaigns, consent
from domain.segments.errors import InvalidCampaign
from domain.segments.models import ConsentChannel
from tests.domain.segments.support import (
    BRAND,
    CRM,
    WORDS,
    campaign_one_sent,
    consent_to,
    counts,
    listed_segment,
    new_campaign,
    new_player,
    run_batch,
    self_excluded,
)
from tests.support import AURORA, statements_of
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (autouse)
from workers.actors import messaging


@pytest.fixture(autouse=True)
async def worker(server: str) -> AsyncIterator[None]:
    async with running_worker(messaging.QUEUE):
        yield


async def with_phone(
    db: Database, player_id: uuid.UUID, phone: str, *, verified: bool = True
) -> uuid.UUID:
    """The player's profile has this mobile phone, verified (by the texted code, see
    tests/schema/accounts/test_phone_verification.py) or not."""
    async with db.transaction() as uow:
        uow.session.add(
            PlayerProfile(
                player_id=player_id, brand=BRAND, phone=phone,
                phone_verified_at=clock.now() if verified else None,
            )
        )  # fmt: skip
    return player_id


def new_phone() -> str:
    return f"+3567{random.randrange(10**7):07d}"


async def outbox(server: str) -> list[tuple[str, str, str]]:
    """The dev SMS outbox page of the brand: (to, sid, body) of each message."""
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        page = (await client.get("/dev/sms")).text
    found = re.findall(
        r'<article class="sms" data-to="([^"]+)" data-sid="([^"]+)">.*?<pre>(.*?)</pre>',
        page,
        flags=re.DOTALL,
    )
    return [(html.unescape(to), sid, html.unescape(body)) for to, sid, body in found]


async def report_status(server: str, sid: str, status: str) -> None:
    body = json.dumps({"sid": sid, "status": status}).encode()
    headers = {
        "content-type": "application/json",
        **SMS_SIGNATURE.headers(DEV_SMS_WEBHOOK_SECRET.encode(), int(time.time()), body),
    }
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        answer = await client.post("/callbacks/sms/status", content=body, headers=headers)
    assert answer.json() == {"received": True, "applied": True}


async def test_an_sms_campaign_reaches_consenting_members_with_a_verified_phone_once(
    db: Database, registry: BrandRegistry, server: str
) -> None:
    phones = {name: new_phone() for name in ("willing", "german", "unverified", "silent", "out")}
    willing = await with_phone(db, await new_player(db, registry), phones["willing"])
    german = await with_phone(db, await new_player(db, registry, locale="de"), phones["german"])
    unverified = await with_phone(
        db, await new_player(db, registry), phones["unverified"], verified=False
    )
    no_phone = await new_player(db, registry)
    silent = await with_phone(db, await new_player(db, registry), phones["silent"])
    excluded = await with_phone(db, await new_player(db, registry), phones["out"])
    for player in (willing, german, unverified, no_phone, excluded):
        await consent_to(db, player, ConsentChannel.SMS)
    await consent_to(db, silent, ConsentChannel.EMAIL)  # another channel is no SMS consent
    await self_excluded(db, excluded)
    segment_id = await listed_segment(db, [willing, german, unverified, no_phone, silent, excluded])
    campaign_id = await new_campaign(db, segment_id, ConsentChannel.SMS)

    assert await run_batch(db, campaign_id) == 2
    assert await run_batch(db, campaign_id) == 0  # the job runs twice

    async def all_sent() -> bool:
        async with db.uow() as uow:
            statuses = (
                await uow.session.scalars(
                    select(SmsMessage.status).where(SmsMessage.player_id.in_([willing, german]))
                )
            ).all()
        return sorted(statuses) == [SmsStatus.SENT, SmsStatus.SENT]

    await eventually(all_sent, timeout_s=10)
    sent = {to: (sid, body) for to, sid, body in await outbox(server) if to in phones.values()}
    assert set(sent) == {phones["willing"], phones["german"]}
    assert len([to for to, _, _ in await outbox(server) if to in sent]) == 2  # once each
    english, german_text = sent[phones["willing"]][1], sent[phones["german"]][1]
    assert english.startswith(WORDS["en"]["text"])
    assert "Aurora Casino: to stop these texts, open http://aurora.localhost:8000/unsubscribe?" in (
        english
    )
    assert german_text.startswith(WORDS["de"]["text"])
    assert "Um diese SMS abzubestellen, öffnen Sie http://aurora.localhost:8000/" in german_text
    # The opt-out link withdraws SMS consent, and only that.
    token = unquote(re.findall(r"unsubscribe\?token=(\S+)", english)[0])
    assert consent.read_unsubscribe_token(token, BRAND) == (willing, ConsentChannel.SMS)

    assert await counts(db, campaign_id) == campaigns.Counts(
        targeted=6, suppressed_consent=1, suppressed_protected=1, suppressed_unreachable=2,
        sent=2,
    )  # fmt: skip

    # The provider reports one delivered and one lost: the lost one counts as failed.
    await report_status(server, sent[phones["willing"]][0], "delivered")
    await report_status(server, sent[phones["german"]][0], "undelivered")
    assert await counts(db, campaign_id) == campaigns.Counts(
        targeted=6, suppressed_consent=1, suppressed_protected=1, suppressed_unreachable=2,
        sent=1, failed=1,
    )  # fmt: skip


async def test_a_phone_changed_or_unverified_after_targeting_gets_no_text(
    db: Database, registry: BrandRegistry
) -> None:
    players = [await with_phone(db, await new_player(db, registry), new_phone()) for _ in range(2)]
    campaign_id = await campaign_one_sent(db, players, ConsentChannel.SMS)
    async with db.uow() as uow:
        (first,) = (await uow.session.scalars(select(SmsMessage.player_id))).all()
    (later,) = [player for player in players if player != first]
    await phone_unverified(db, later)

    moved = clock.now() + campaigns.THROTTLE_WINDOW + timedelta(seconds=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: moved)
        assert await run_batch(db, campaign_id) == 0

    assert await counts(db, campaign_id) == campaigns.Counts(
        targeted=2, suppressed_unreachable=1, sent=1
    )


async def phone_unverified(db: Database, player_id: uuid.UUID) -> None:
    """The player's phone is no longer verified (e.g. they changed it)."""
    async with db.transaction() as uow:
        profile = await uow.session.get(PlayerProfile, player_id)
        assert profile is not None
        profile.phone_verified_at = None


async def test_an_sms_campaigns_text_must_leave_room_for_the_opt_out_line(
    db: Database, registry: BrandRegistry
) -> None:
    segment_id = await listed_segment(db, [await new_player(db, registry)])
    long_text = {"en": {"text": "x" * (campaigns.SMS_TEXT_LENGTH_MAX + 1)}}
    async with db.transaction() as uow:
        with pytest.raises(InvalidCampaign) as refused:
            await campaigns.create(
                uow, CRM, BRAND, segment_id=segment_id, name="Weekend",
                channel=ConsentChannel.SMS, content=long_text, send_at=None,
                throttle_per_minute=10, origin="http://aurora.localhost:8000",
            )  # fmt: skip
    assert refused.value.field == "content"


async def test_an_sms_batch_reads_its_recipients_phones_in_its_one_query(
    db: Database, registry: BrandRegistry
) -> None:
    phones = [new_phone() for _ in range(4)]
    players = [await with_phone(db, await new_player(db, registry), phone) for phone in phones]
    for player in players:
        await consent_to(db, player, ConsentChannel.SMS)
    campaign_id = await new_campaign(db, await listed_segment(db, players), ConsentChannel.SMS)

    with statements_of(db) as statements:
        sent = await run_batch(db, campaign_id)

    async with db.uow() as uow:
        texted = set(
            await uow.session.scalars(
                select(SmsMessage.recipient).where(SmsMessage.player_id.in_(players))
            )
        )
    assert (sent, texted) == (4, set(phones))
    # The phones come with the pending recipients, not one read per player (the audience
    # taken at the first batch is an INSERT ... SELECT).
    reads = [s for s in statements if "player_profiles" in s and s.startswith("SELECT")]
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("channel", "words", "refused"),
    [
        (ConsentChannel.SMS, {"subject": "Weekend", "text": "Play"}, True),
        (ConsentChannel.SMS, {"text": "Play"}, False),
        (ConsentChannel.EMAIL, {"text": "Play"}, True),
        (ConsentChannel.INBOX, {"subject": "", "text": "Play"}, True),
    ],
)
async def test_a_text_message_has_no_subject_and_the_inbox_and_e_mail_need_one(
    db: Database,
    registry: BrandRegistry,
    channel: ConsentChannel,
    words: dict[str, str],
    refused: bool,
) -> None:
    segment_id = await listed_segment(db, [await new_player(db, registry)])
    async with db.uow() as uow:
        try:
            await campaigns.create(
                uow, CRM, BRAND, segment_id=segment_id, name="Weekend", channel=channel,
                content={"en": words}, send_at=None, throttle_per_minute=10,
                origin="http://aurora.localhost:8000",
            )  # fmt: skip
            error = None
        except InvalidCampaign as raised:
            error = raised.field
    assert error == ("content" if refused else None)
