"""Helpers for the segments tests: players, CRM staff, applying the outbox as the segments
actors do (one transaction per event), segments and campaigns made as CRM staff make them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from domain.accounts import sessions
from domain.accounts.models import Player, PrincipalKind, SessionState, SessionTransport
from domain.accounts.permissions import permissions_for
from domain.accounts.players import SelfExclusionPeriod
from domain.accounts.principal import Principal
from domain.brands.service import BrandRegistry
from domain.compliance import exclusion
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.segments import campaigns, consent, keeping, service
from domain.segments.models import ConsentChannel, SegmentMember
from domain.wallets.events import BALANCE_CHANGED
from tests.domain.reporting.support import player as registered_player
from tests.support import create_player

BRAND = "aurora"
# "Deposited at least EUR 100 in the last 7 days and not self-excluded."
DEPOSITED_100_IN_7_DAYS: dict[str, Any] = {
    "all": [
        {"condition": {"field": "deposit_sum", "op": ">=", "amount": "100.00",
                       "currency": "EUR", "window_days": 7}},
        {"not": {"condition": {"field": "status", "op": "in", "values": ["self_excluded"]}}},
    ]
}  # fmt: skip


def staff(*roles: str, brands: tuple[str, ...] | None = None) -> Principal:
    return Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), BRAND, True, roles=roles,
        permissions=permissions_for(list(roles)), staff_brands=brands,
    )  # fmt: skip


CRM = staff("crm")


async def new_player(
    db: Database, registry: BrandRegistry, *, brand: str = BRAND, **changes: Any
) -> uuid.UUID:
    if brand == BRAND:
        player_id = await create_player(db, registry, brand=brand)
    else:
        player_id = await registered_player(db, registry, brand, registry.get(brand).currencies[0])
    if changes:
        async with db.transaction() as uow:
            player = await uow.session.get(Player, player_id)
            assert player is not None
            for name, value in changes.items():
                setattr(player, name, value)
    return player_id


async def apply_outbox(db: Database, after_id: int = 0) -> int:
    """Apply every committed event after `after_id` as the segments actors do; returns the
    last event id seen."""
    async with db.uow() as uow:
        events = (
            await uow.session.execute(
                select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.brand, OutboxEvent.payload)
                .where(OutboxEvent.id > after_id)
                .order_by(OutboxEvent.id)
            )
        ).all()
    for event in events:
        async with db.transaction() as uow:
            if event.topic == BALANCE_CHANGED:
                await keeping.apply_ledger_event(uow, event.id, event.brand, event.payload)
            elif event.topic in keeping.PLAYER_TOPICS:
                await keeping.apply_player_event(uow, event.brand, event.payload)
    return events[-1].id if events else after_id


async def members(db: Database, segment_id: uuid.UUID) -> set[uuid.UUID]:
    async with db.uow() as uow:
        found = await uow.session.scalars(
            select(SegmentMember.player_id).where(SegmentMember.segment_id == segment_id)
        )
        return set(found.all())


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


BIRTH = date(1990, 1, 1)


async def self_excluded(db: Database, player_id: uuid.UUID, brand: str = BRAND) -> None:
    """The player excludes themself through the compliance service (status, event)."""
    async with db.transaction() as uow:
        issued = await sessions.issue(
            uow, kind=PrincipalKind.PLAYER, principal_id=player_id, brand=brand,
            transport=SessionTransport.BEARER, state=SessionState.ACTIVE, ip_address=None,
            user_agent=None,
        )  # fmt: skip
    principal = Principal(PrincipalKind.PLAYER, player_id, issued.session.id, brand, True)
    async with db.transaction() as uow:
        await exclusion.self_exclude(
            uow, principal, brand, period=SelfExclusionPeriod.SIX_MONTHS, confirmed=True
        )


async def recent_depositors(db: Database) -> service.SegmentView:
    """The rule segment DEPOSITED_100_IN_7_DAYS, saved in a transaction of its own."""
    async with db.transaction() as uow:
        return await service.create_rule_segment(
            uow, CRM, BRAND, "Recent depositors", DEPOSITED_100_IN_7_DAYS
        )


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


async def campaign_one_sent(
    db: Database, players: list[uuid.UUID], channel: ConsentChannel
) -> uuid.UUID:
    """A campaign to `players`, each consenting on `channel`, throttled to one message a
    minute, once its first batch has sent that one message."""
    for player in players:
        await consent_to(db, player, channel)
    segment_id = await listed_segment(db, players)
    campaign_id = await new_campaign(db, segment_id, channel, throttle=1)
    assert await run_batch(db, campaign_id) == 1
    return campaign_id
