"""EventHub on a real PostgreSQL: fan-out by topic and brand, large payloads, slow
subscribers, lost connections. Notifications are sent the way the relay sends them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar

import asyncpg
import pytest
from sqlalchemy import select, text

from domain.kernel.db import Database, plain_url
from domain.kernel.outbox import EVENTS_CHANNEL, Event, OutboxEvent, emit
from domain.kernel.pubsub import (
    APPLICATION_NAME,
    DISPATCH_BATCH_MAX,
    NOTIFY_PAYLOAD_MAX_BYTES,
    EventHub,
    PublishedEvent,
    Subscription,
    SubscriptionInterrupted,
    encode_notification,
)

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Ping(Event):
    topic: ClassVar[str] = "tests.ping"
    text: str


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[EventHub]:
    event_hub = EventHub(database_url)
    await event_hub.start()
    yield event_hub
    await event_hub.stop()


async def publish(db: Database, *events: PublishedEvent) -> None:
    """NOTIFY `events` in one transaction, as the relay does."""
    async with db.transaction() as uow:
        for event in events:
            await uow.session.execute(
                text("SELECT pg_notify(:channel, :message)"),
                {"channel": EVENTS_CHANNEL, "message": encode_notification(event)},
            )


async def next_event(subscription: Subscription) -> PublishedEvent:
    return await asyncio.wait_for(anext(subscription), TIMEOUT_S)


def ping(event_id: int, brand: str | None, text_: str = "hello") -> PublishedEvent:
    return PublishedEvent(event_id, Ping.topic, brand, {"text": text_})


async def test_subscribers_receive_their_topic_and_brand_only(db: Database, hub: EventHub) -> None:
    async with (
        hub.subscribe(Ping.topic) as every_brand,
        hub.subscribe(Ping.topic, brand="aurora") as aurora,
        hub.subscribe("tests.other") as other_topic,
    ):
        other = PublishedEvent(3, "tests.other", "aurora", {})
        await publish(db, ping(1, "northstar"), ping(2, "aurora"), other)

        assert await next_event(every_brand) == ping(1, "northstar")
        assert await next_event(every_brand) == ping(2, "aurora")
        # The northstar event came first: receiving event 2 first proves it was filtered.
        assert await next_event(aurora) == ping(2, "aurora")
        assert await next_event(other_topic) == other


async def test_a_burst_of_events_reaches_subscribers_within_a_few_turns_of_the_loop(
    db: Database, hub: EventHub
) -> None:
    # A busy API process gives the hub one turn of its event loop at a time: a hub that
    # took a turn (or two) per notification fell a second behind a hundred changes a
    # second. The turns are counted by a task that yields once per turn.
    burst = 200
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    async with hub.subscribe(Ping.topic) as events:
        await publish(db, *(ping(number, "aurora") for number in range(burst)))
        first = await next_event(events)
        ticker = asyncio.create_task(count_turns())
        try:
            # Not next_event: its wait_for would spend turns of its own.
            async with asyncio.timeout(TIMEOUT_S):
                received = [first] + [await anext(events) for _ in range(burst - 1)]
            turns_taken = turns
        finally:
            ticker.cancel()

    assert [event.id for event in received] == list(range(burst))
    # A batch of notifications a turn (the subscriber drains between batches).
    assert turns_taken <= 2 * burst // DISPATCH_BATCH_MAX + 4


async def test_a_burst_longer_than_a_subscribers_queue_reaches_a_subscriber_that_keeps_up(
    db: Database, hub: EventHub
) -> None:
    # The hub queues what arrives while it is busy; handing all of it over in one turn
    # would cut off a subscriber whose queue is shorter than the backlog.
    burst = 300
    async with hub.subscribe(Ping.topic, queue_size=DISPATCH_BATCH_MAX * 2) as events:
        await publish(db, *(ping(number, "aurora") for number in range(burst)))
        async with asyncio.timeout(TIMEOUT_S):
            received = [await anext(events) for _ in range(burst)]

    assert [event.id for event in received] == list(range(burst))


async def test_large_event_is_read_from_the_outbox(db: Database, hub: EventHub) -> None:
    # Multi-byte characters: the limit is in bytes, not characters.
    large = Ping(text="é" * NOTIFY_PAYLOAD_MAX_BYTES)
    async with db.transaction() as uow:
        await emit(uow, large, brand="aurora")
    async with db.uow() as uow:
        event_id = await uow.session.scalar(select(OutboxEvent.id))
    assert event_id is not None
    event = PublishedEvent(event_id, Ping.topic, "aurora", large.payload())
    assert "payload" not in encode_notification(event)

    async with hub.subscribe(Ping.topic) as events:
        await publish(db, event)
        assert await next_event(events) == event


def test_notification_payloads_stay_under_the_postgresql_limit() -> None:
    small = ping(1, "aurora")
    large = ping(2, "aurora", "x" * NOTIFY_PAYLOAD_MAX_BYTES)

    assert '"payload"' in encode_notification(small)
    assert len(encode_notification(large).encode()) < 8000
    assert '"payload"' not in encode_notification(large)


async def test_slow_subscriber_is_interrupted_not_silently_skipped(
    db: Database, hub: EventHub
) -> None:
    async with (
        hub.subscribe(Ping.topic, queue_size=2) as slow,
        hub.subscribe(Ping.topic) as fast,
    ):
        await publish(db, ping(1, None), ping(2, None), ping(3, None))
        # Fan-out is synchronous: once `fast` has all three, `slow` was offered all three
        # without reading any.
        assert [await next_event(fast) for _ in range(3)] == [ping(n, None) for n in (1, 2, 3)]

        assert await next_event(slow) == ping(1, None)
        assert await next_event(slow) == ping(2, None)
        with pytest.raises(SubscriptionInterrupted):
            await next_event(slow)


async def test_lost_connection_interrupts_subscribers_and_reconnects(
    db: Database, hub: EventHub
) -> None:
    async with hub.subscribe(Ping.topic) as before:
        async with db.transaction() as uow:
            terminated = await uow.session.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            )
        assert terminated == 1
        with pytest.raises(SubscriptionInterrupted):
            await next_event(before)

    await asyncio.wait_for(hub.wait_until_listening(), TIMEOUT_S)
    async with hub.subscribe(Ping.topic) as after:
        await publish(db, ping(1, "aurora"))
        assert await next_event(after) == ping(1, "aurora")


async def test_stop_ends_subscriptions_cleanly(database_url: str) -> None:
    hub = EventHub(database_url)
    await hub.start()
    async with hub.subscribe(Ping.topic) as events:
        await hub.stop()
        received = [event async for event in events]

    assert received == []
    assert not hub.listening


async def _kill_hub_connections(database_url: str, until: float) -> int:
    """Terminate the hub's backend as soon as it exists, over and over, until the loop
    time `until`: kills land while it LISTENs, reconnects and adds its listener."""
    killer = await asyncpg.connect(plain_url(database_url))
    loop = asyncio.get_running_loop()
    kills = 0
    try:
        while loop.time() < until:
            kills += await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()",
                APPLICATION_NAME,
            )
            await asyncio.sleep(0.005)
    finally:
        await killer.close()
    return kills


async def test_hub_outlives_its_connection_killed_over_and_over(
    db: Database, database_url: str, hub: EventHub
) -> None:
    loop = asyncio.get_running_loop()
    kills = await _kill_hub_connections(database_url, loop.time() + 1.5)

    await asyncio.wait_for(hub.wait_until_listening(), TIMEOUT_S)
    async with hub.subscribe(Ping.topic) as events:
        await publish(db, ping(1, "aurora"))
        assert await next_event(events) == ping(1, "aurora")
    assert kills >= 3
    assert hub.health.up
    assert hub.health.restarts >= 1


async def test_subscriptions_made_while_the_hub_is_away_are_told_to_refetch(
    db: Database, hub: EventHub
) -> None:
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        )
    while hub.listening:  # noqa: ASYNC110 (the hub offers no "lost" event to await)
        await asyncio.sleep(0.001)
    async with hub.subscribe(Ping.topic) as during_outage:
        # Its subscriber read its state before the hub listened again: events in between
        # are lost to it, so it must hear of the gap rather than wait in silence.
        with pytest.raises(SubscriptionInterrupted):
            await next_event(during_outage)
