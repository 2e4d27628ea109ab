"""The CRM stream against the built-in test receiver, a real HTTP server: committed events
become signed deliveries numbered per player, sent in order, retried with back-off after
the receiver fails, once each as the receiver sees it, naming no more of the player than
the brand's configuration says."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.accounts.models import Player
from domain.brands.service import BrandRegistry
from domain.compliance import protection
from domain.compliance.models import LimitKind, LimitPeriod
from domain.integrations.crm import (
    CRM_SIGNATURE,
    CrmDeliveryFailed,
    CrmEndpoint,
    HttpCrm,
    endpoint_for,
)
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent, ProcessedMessage
from domain.kernel.settings import DEV_CRM_SECRET, get_settings
from domain.segments import consent, crm
from domain.segments.events import CrmLaneDue
from domain.segments.models import ConsentChannel, CrmDelivery, CrmDeliveryStatus, CrmLane
from domain.sportsbook import settlement
from domain.sportsbook.models import BetType, ResultKind
from domain.sportsbook.placement import BetSlip, Selection
from domain.sportsbook.returns import LegResult
from tests.domain.compliance.support import advance, set_limit, signed_in
from tests.domain.payments.support import deposited
from tests.domain.segments.support import BRAND, new_player, self_excluded
from tests.domain.sportsbook.support import add_market, funded_player, place
from web import crm_receiver

OTHER_BRAND = "northstar"
SECRET = DEV_CRM_SECRET.encode()


@pytest.fixture(scope="module")
def running() -> Iterator[crm_receiver.RunningReceiver]:
    started = crm_receiver.start()
    yield started
    started.stop()


@pytest.fixture
def receiver(running: crm_receiver.RunningReceiver) -> crm_receiver.RunningReceiver:
    running.receiver.inboxes.clear()
    return running


def endpoints(
    receiver: crm_receiver.RunningReceiver,
    *,
    fields: tuple[str, ...] = (),
    brands: tuple[str, ...] = (BRAND,),
) -> crm.EndpointOf:
    def endpoint_of(brand: str) -> CrmEndpoint | None:
        if brand not in brands:
            return None
        return CrmEndpoint(f"{receiver.url}/{brand}/events", SECRET, fields)

    return endpoint_of


async def last_event_id(db: Database) -> int:
    async with db.uow() as uow:
        found = await uow.session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()))
    return found or 0


async def record_outbox(db: Database, endpoint_of: crm.EndpointOf, after_id: int) -> int:
    """Record every committed event after `after_id` as the crm workers do (one transaction
    per event); returns the last id seen."""
    async with db.uow() as uow:
        events = (
            await uow.session.execute(
                select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.brand, OutboxEvent.payload)
                .where(OutboxEvent.id > after_id, OutboxEvent.topic.in_(crm.TOPICS))
                .order_by(OutboxEvent.id)
            )
        ).all()
    for event in events:
        async with db.transaction() as uow:
            await crm.record(
                uow, endpoint_of, topic=event.topic, event_id=event.id, brand=event.brand,
                payload=event.payload,
            )  # fmt: skip
    return events[-1].id if events else after_id


async def deliver_all(db: Database, endpoint_of: crm.EndpointOf, *players: uuid.UUID) -> int:
    """Turn every lane until nothing is pending (backing off 1 ms doubling): the lanes of
    different players concurrently, and each lane by two workers at once."""
    turns = 0
    while await pending(db, *players):
        turns += 1
        assert turns < 200, "the lanes never emptied"
        await asyncio.gather(
            *(
                crm.deliver_lane(
                    db, HttpCrm(), endpoint_of, player, retry_first_ms=1, retry_max_ms=8
                )
                for player in players
                for _ in range(2)
            )
        )
        await asyncio.sleep(0.01)
    return turns


async def pending(db: Database, *players: uuid.UUID) -> int:
    async with db.uow() as uow:
        found = await uow.session.scalars(
            select(CrmDelivery.id).where(
                CrmDelivery.player_id.in_(players),
                CrmDelivery.status == CrmDeliveryStatus.PENDING,
            )
        )
        return len(found.all())


def received(receiver: crm_receiver.RunningReceiver, brand: str = BRAND) -> list[dict[str, Any]]:
    return list(receiver.receiver.inbox(brand).events)


def of_player(events: list[dict[str, Any]], player_id: uuid.UUID) -> list[dict[str, Any]]:
    return [event for event in events if event["player_id"] == str(player_id)]


async def set_email_consent(db: Database, player_id: uuid.UUID, *, granted: bool) -> None:
    async with db.transaction() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        await consent.set_consent(uow, player, ConsentChannel.EMAIL, granted=granted, source="site")


async def test_the_receiver_keeps_a_signed_event_and_refuses_one_signed_with_another_secret(
    receiver: crm_receiver.RunningReceiver,
) -> None:
    body = json.dumps({"id": str(uuid.uuid4()), "type": "registration"}).encode()
    genuine = CrmEndpoint(f"{receiver.url}/{BRAND}/events", SECRET, ())
    forged = CrmEndpoint(genuine.url, b"not-the-brands-crm-secret", ())

    await HttpCrm().send(genuine, body, timestamp=int(time.time()))
    with pytest.raises(CrmDeliveryFailed, match="HTTP 401"):
        await HttpCrm().send(forged, body, timestamp=int(time.time()))
    stale = int(time.time()) - 10 * 60
    with pytest.raises(CrmDeliveryFailed, match="HTTP 401"):
        await HttpCrm().send(genuine, body, timestamp=stale)

    inbox = receiver.receiver.inbox(BRAND)
    assert inbox.events == [json.loads(body)]
    assert inbox.refused == 2
    # The format the README documents, checked by hand as a CRM would.
    headers = CRM_SIGNATURE.headers(SECRET, 1_700_000_000, body)
    assert headers["X-Stakehouse-Crm-Timestamp"] == "1700000000"
    expected = hmac.new(SECRET, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert headers["X-Stakehouse-Crm-Signature"] == f"v1={expected}"


async def test_after_receiver_failures_every_event_arrives_once_and_in_order_per_player_with_two_players_interleaved(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver)
    start = await last_event_id(db)
    first, second = [await new_player(db, registry) for _ in range(2)]
    for granted in (True, False, True):
        for player in (first, second):
            await set_email_consent(db, player, granted=granted)
    await deposited(db, first, 25_00)
    await record_outbox(db, endpoint_of, start)
    # The receiver fails the next 3 events outright, then keeps one but "loses" its answer
    # (the sender sends it again with the same id).
    async with httpx.AsyncClient() as client:
        await client.post(f"{receiver.url}/{BRAND}/control", json={"fail": 3, "lose_acks": 1})

    turns = await deliver_all(db, endpoint_of, first, second)

    events = received(receiver)
    for player, expected in ((first, 5), (second, 4)):
        lane = of_player(events, player)
        assert [event["sequence"] for event in lane] == list(range(1, expected + 1))
        assert lane[0]["type"] == "registration"
        assert [e["data"]["granted"] for e in lane if e["type"] == "consent_changed"] == [
            True, False, True,
        ]  # fmt: skip
    assert of_player(events, first)[-1]["type"] == "deposit"
    assert of_player(events, first)[-1]["data"] == {
        "payment_id": of_player(events, first)[-1]["data"]["payment_id"],
        "status": "succeeded", "amount": "25.00", "currency": "EUR",
    }  # fmt: skip
    inbox = receiver.receiver.inbox(BRAND)
    assert len({event["id"] for event in events}) == len(events) == 9
    # The lost answer makes one repeat (a send timing out on a loaded machine makes more).
    assert (inbox.failed, inbox.refused) == (4, 0)
    assert inbox.duplicates >= 1
    assert turns > 1  # the failures were retried on later turns, after their back-off
    async with db.uow() as uow:
        attempts = (
            await uow.session.scalars(
                select(CrmDelivery.attempts).where(CrmDelivery.player_id.in_([first, second]))
            )
        ).all()
    assert sum(attempts) >= 9 + 4


async def test_a_failing_head_holds_back_the_players_later_events_but_not_another_players(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver)
    start = await last_event_id(db)
    stuck = await new_player(db, registry)
    await set_email_consent(db, stuck, granted=True)
    await record_outbox(db, endpoint_of, start)
    async with httpx.AsyncClient() as client:
        await client.post(f"{receiver.url}/{BRAND}/control", json={"fail": 1})

    turn = await crm.deliver_lane(
        db, HttpCrm(), endpoint_of, stuck, retry_first_ms=60_000, retry_max_ms=60_000
    )
    assert (turn.delivered, turn.retry_in_ms) == (0, 60_000)
    free = await new_player(db, registry)
    await record_outbox(db, endpoint_of, start)
    await crm.deliver_lane(db, HttpCrm(), endpoint_of, free, retry_first_ms=1, retry_max_ms=1)
    # Backing off: another turn sends nothing and schedules nothing more.
    again = await crm.deliver_lane(
        db, HttpCrm(), endpoint_of, stuck, retry_first_ms=60_000, retry_max_ms=60_000
    )

    assert (again.delivered, again.retry_in_ms) == (0, None)
    assert of_player(received(receiver), stuck) == []
    assert [e["type"] for e in of_player(received(receiver), free)] == ["registration"]
    async with db.transaction() as uow:
        assert await crm.due_lanes(uow) == 0  # the head is not due for a minute


async def test_a_consent_withdrawal_is_streamed_naming_the_player_by_id_only(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver)
    player_id = await new_player(db, registry)
    await set_email_consent(db, player_id, granted=True)
    start = await last_event_id(db)
    await set_email_consent(db, player_id, granted=False)
    await record_outbox(db, endpoint_of, start)

    await deliver_all(db, endpoint_of, player_id)

    [event] = of_player(received(receiver), player_id)
    assert event["type"] == "consent_changed"
    assert event["data"] == {"channel": "email", "granted": False}
    assert set(event) == {"id", "type", "brand", "player_id", "sequence", "recorded_at", "data"}
    async with db.uow() as uow:
        player = await uow.session.get(Player, player_id)
    assert player is not None and player.email is not None
    assert player.email not in json.dumps(event)


async def test_the_player_fields_a_brand_configures_and_no_others_travel_with_its_events(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver, fields=("country", "locale"))
    start = await last_event_id(db)
    player_id = await new_player(db, registry)
    await record_outbox(db, endpoint_of, start)

    await deliver_all(db, endpoint_of, player_id)

    [event] = of_player(received(receiver), player_id)
    async with db.uow() as uow:
        player = await uow.session.get(Player, player_id)
    assert player is not None
    assert event["player"] == {"country": player.country, "locale": player.locale}
    settings = get_settings().model_copy(
        update={
            "crm_urls": {BRAND: "https://crm.example/hooks"},
            "crm_secrets": {BRAND: "a-real-crm-secret-of-the-brand"},
            "crm_player_fields": {BRAND: "country+password_hash+email"},
        }
    )
    configured = endpoint_for(settings, BRAND)
    assert configured is not None
    assert configured.player_fields == ("country", "email")  # unknown names never leave
    assert endpoint_for(settings, OTHER_BRAND) is None  # no test receiver URL set here


async def test_each_brand_streams_only_its_own_players_and_a_brand_without_a_crm_records_nothing(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    start = await last_event_id(db)
    ours = await new_player(db, registry)
    theirs = await new_player(db, registry, brand=OTHER_BRAND)
    await record_outbox(db, endpoints(receiver, brands=(BRAND,)), start)

    await deliver_all(db, endpoints(receiver), ours, theirs)

    assert [e["player_id"] for e in received(receiver)] == [str(ours)]
    assert received(receiver, OTHER_BRAND) == []
    assert await pending(db, theirs) == 0
    async with db.uow() as uow:
        recorded = await uow.session.scalars(
            select(CrmDelivery.player_id).where(CrmDelivery.player_id.in_([ours, theirs]))
        )
        assert recorded.all() == [ours]
        claimed = await uow.session.scalars(
            select(OutboxEvent.brand)
            .join(ProcessedMessage, ProcessedMessage.event_id == OutboxEvent.id)
            .where(OutboxEvent.id > start, ProcessedMessage.consumer == crm.CONSUMER)
        )
        # Nothing is written for a brand without a CRM, not even the claim of its event.
        assert claimed.all() == [BRAND]

    # Both brands streaming: each event goes to its own brand's endpoint.
    both = endpoints(receiver, brands=(BRAND, OTHER_BRAND))
    after = await last_event_id(db)
    await set_email_consent(db, ours, granted=True)
    await set_email_consent(db, theirs, granted=True)
    await record_outbox(db, both, after)
    await deliver_all(db, both, ours, theirs)
    assert [e["player_id"] for e in received(receiver, OTHER_BRAND)] == [str(theirs)]
    assert all(e["brand"] == BRAND for e in received(receiver))


async def test_an_event_delivered_twice_by_the_broker_is_recorded_once(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver)
    start = await last_event_id(db)
    player_id = await new_player(db, registry)
    async with db.uow() as uow:
        event = (
            await uow.session.execute(
                select(
                    OutboxEvent.id, OutboxEvent.topic, OutboxEvent.brand, OutboxEvent.payload
                ).where(OutboxEvent.id > start, OutboxEvent.topic.in_(crm.TOPICS))
            )
        ).one()

    counts = []
    for _ in range(2):
        async with db.transaction() as uow:
            counts.append(
                await crm.record(
                    uow,
                    endpoint_of,
                    topic=event.topic,
                    event_id=event.id,
                    brand=event.brand,
                    payload=event.payload,
                )
            )

    assert counts == [1, 0]
    assert await pending(db, player_id) == 1


async def test_a_lane_whose_retry_message_was_lost_is_handed_out_again_by_the_sweep_once_due(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver)
    start = await last_event_id(db)
    player_id = await new_player(db, registry)
    await record_outbox(db, endpoint_of, start)
    async with httpx.AsyncClient() as client:
        await client.post(f"{receiver.url}/{BRAND}/control", json={"fail": 1})
    turn = await crm.deliver_lane(
        db, HttpCrm(), endpoint_of, player_id, retry_first_ms=50, retry_max_ms=50
    )
    assert turn.retry_in_ms == 50
    swept_at = await last_event_id(db)
    await asyncio.sleep(0.1)

    async with db.transaction() as uow:
        assert await crm.due_lanes(uow) == 1
        waiting = await crm.backlog(uow)
    assert waiting.pending == 1
    assert 0.1 <= waiting.oldest_age_s < 60

    async with db.uow() as uow:
        due = (
            await uow.session.execute(
                select(OutboxEvent.topic, OutboxEvent.brand, OutboxEvent.payload).where(
                    OutboxEvent.id > swept_at
                )
            )
        ).all()
    assert [tuple(row) for row in due] == [(CrmLaneDue.topic, BRAND, {"player_id": str(player_id)})]


async def test_limits_a_time_out_and_a_self_exclusion_are_streamed_as_they_take_effect(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver)
    player_id = await new_player(db, registry)
    principal = await signed_in(db, player_id)
    start = await last_event_id(db)
    await set_limit(db, principal, LimitKind.DEPOSIT, LimitPeriod.DAY, 50_00)
    await set_limit(db, principal, LimitKind.SESSION, LimitPeriod.SESSION, 90)
    await set_limit(db, principal, LimitKind.DEPOSIT, LimitPeriod.DAY, 80_00)  # waits
    async with db.transaction() as uow:
        until = await protection.take_time_out(
            uow, principal, BRAND, period=protection.TimeOutPeriod.ONE_DAY, confirmed=True
        )
    await self_excluded(db, player_id)
    await record_outbox(db, endpoint_of, start)

    await deliver_all(db, endpoint_of, player_id)

    lane = of_player(received(receiver), player_id)
    assert [(e["type"], e["data"]) for e in lane] == [
        ("limit_set", {"kind": "deposit", "period": "day", "amount": "50.00", "currency": "EUR"}),
        ("limit_set", {"kind": "session", "period": "session", "minutes": 90}),
        ("limit_increase_requested", {"kind": "deposit", "period": "day"}),
        (
            "status_changed",
            {"status": "timed_out", "period": "one_day", "until": until.isoformat()},
        ),
        ("status_changed", {"status": "self_excluded", "before": "active"}),
    ]
    assert [e["sequence"] for e in lane] == [1, 2, 3, 4, 5]


async def test_a_settled_market_is_summed_up_per_player_stake_and_return(
    db: Database, registry: BrandRegistry, receiver: crm_receiver.RunningReceiver
) -> None:
    endpoint_of = endpoints(receiver)
    market = await add_market(db, {"home": "2.00", "away": "3.00"})
    bettor = await funded_player(db, registry)
    for key, stake_minor in (("home", 10_00), ("away", 5_00)):
        slip = BetSlip(
            selections=(Selection(market.outcomes[key], Decimal({"home": "2.00", "away": "3.00"}[key])),),
            stake_minor=stake_minor, bet_type=BetType.SINGLE, idempotency_key=uuid.uuid4().hex,
        )  # fmt: skip
        await place(db, registry, bettor, slip)
    start = await last_event_id(db)
    await settlement.settle_market(
        db, market_id=market.market_id, run_id=uuid.uuid4(),
        results={
            market.outcomes["home"]: LegResult(ResultKind.WIN),
            market.outcomes["away"]: LegResult(ResultKind.LOSE),
        },
    )  # fmt: skip
    await record_outbox(db, endpoint_of, start)

    await deliver_all(db, endpoint_of, bettor)

    settled = [e for e in of_player(received(receiver), bettor) if e["type"] == "bet_settled"]
    assert [e["data"] for e in settled] == [
        {"product": "sportsbook", "bets": 2, "currency": "EUR", "stake": "15.00", "return": "20.00"}
    ]


class StallingSender:
    """The real HTTP sender whose first send stalls past the lane's lease: meanwhile
    `takeover` runs (another worker)."""

    def __init__(self, takeover: Callable[[], Awaitable[object]]) -> None:
        self.takeover: Callable[[], Awaitable[object]] | None = takeover

    async def send(self, endpoint: CrmEndpoint, body: bytes, *, timestamp: int) -> None:
        if self.takeover is not None:
            takeover, self.takeover = self.takeover, None
            await takeover()
        await HttpCrm().send(endpoint, body, timestamp=timestamp)


async def test_a_worker_stalled_past_its_lease_loses_the_lane_and_the_receiver_sees_each_event_once_in_order(
    db: Database,
    registry: BrandRegistry,
    receiver: crm_receiver.RunningReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint_of = endpoints(receiver)
    start = await last_event_id(db)
    player_id = await new_player(db, registry)
    await set_email_consent(db, player_id, granted=True)
    await set_email_consent(db, player_id, granted=False)
    await record_outbox(db, endpoint_of, start)
    second_turn: list[crm.LaneTurn] = []

    async def takeover() -> None:
        advance(monkeypatch, crm.LANE_LEASE + timedelta(seconds=1))
        second_turn.append(
            await crm.deliver_lane(
                db, HttpCrm(), endpoint_of, player_id, retry_first_ms=1, retry_max_ms=1
            )
        )

    first_turn = await crm.deliver_lane(
        db, StallingSender(takeover), endpoint_of, player_id, retry_first_ms=1, retry_max_ms=1
    )

    assert second_turn == [crm.LaneTurn(3, None)]
    # The stalled worker's send of the head arrived late and was dropped; it sent no more.
    assert first_turn == crm.LaneTurn(1, None)
    inbox = receiver.receiver.inbox(BRAND)
    assert [e["sequence"] for e in of_player(inbox.events, player_id)] == [1, 2, 3]
    assert inbox.duplicates == 1
    async with db.uow() as uow:
        lane = await uow.session.get(CrmLane, player_id)
    assert lane is not None and (lane.leased_until, lane.lease_token) == (None, None)
