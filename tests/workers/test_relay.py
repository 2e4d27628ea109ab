"""The outbox relay on real PostgreSQL and the real Redis broker: what is published, when,
and how often; plus the scheduler's pruning of published rows."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import asyncpg
import dramatiq
import pytest
import redis
from sqlalchemy import insert, select

from domain.accounts.events import PlayerRegistered
from domain.accounts.models import LoginFailure
from domain.kernel import clock
from domain.kernel.db import Database, plain_url
from domain.kernel.outbox import Event, OutboxEvent, emit
from domain.kernel.pubsub import (
    NOTIFY_PAYLOAD_MAX_BYTES,
    EventHub,
    PublishedEvent,
    Subscription,
)
from domain.kernel.settings import get_settings
from domain.kernel.supervision import TaskHealth
from tests.workers import eventually, flushed_broker, queued_messages  # noqa: F401 (fixture)
from workers.actors import messaging
from workers.broker import build_broker
from workers.relay import LEASE_RETRY_S, RELAY_LEASE_KEY, RELAY_TASK, relay_batch, run_relay
from workers.routing import BATCH_ROUTES
from workers.scheduler import run_scheduler

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Ping(Event):
    """A topic no actor consumes: it goes to pub/sub only."""

    topic: ClassVar[str] = "tests.ping"
    text: str


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[EventHub]:
    event_hub = EventHub(database_url)
    await event_hub.start()
    yield event_hub
    await event_hub.stop()


async def commit(db: Database, *events: Event, brand: str | None = "aurora") -> list[int]:
    """Emit `events` in one committed transaction; returns their outbox ids."""
    async with db.transaction() as uow:
        for event in events:
            await emit(uow, event, brand=brand)
    return await outbox_ids(db)


async def outbox_ids(db: Database, *, published: bool | None = None) -> list[int]:
    query = select(OutboxEvent.id).order_by(OutboxEvent.id)
    if published is not None:
        column = OutboxEvent.published_at
        query = query.where(column.is_not(None) if published else column.is_(None))
    async with db.uow() as uow:
        return list(await uow.session.scalars(query))


async def next_event(subscription: Subscription) -> PublishedEvent:
    return await asyncio.wait_for(anext(subscription), TIMEOUT_S)


def registered() -> PlayerRegistered:
    return PlayerRegistered(player_id=str(uuid.uuid4()), locale="en")


async def test_event_of_a_rolled_back_transaction_is_never_published(
    db: Database, hub: EventHub
) -> None:
    async with hub.subscribe(Ping.topic) as events:
        async with db.uow() as uow:
            await emit(uow, Ping(text="rolled back"), brand="aurora")
            # No commit: leaving the block rolls back.
        (kept,) = await commit(db, Ping(text="committed"))

        assert await relay_batch(db, limit=100) == 1
        # The rolled-back event would have come first.
        assert await next_event(events) == PublishedEvent(
            kept, Ping.topic, "aurora", {"text": "committed"}
        )
    assert await outbox_ids(db) == [kept]


async def test_committed_event_goes_once_to_pubsub_and_to_its_actor(
    db: Database, hub: EventHub
) -> None:
    first, second = registered(), registered()
    async with hub.subscribe(PlayerRegistered.topic) as events:
        (first_id,) = await commit(db, first)

        assert await relay_batch(db, limit=100) == 1
        assert await relay_batch(db, limit=100) == 0
        assert await next_event(events) == PublishedEvent(
            first_id, PlayerRegistered.topic, "aurora", first.payload()
        )
        # A second event published after the re-run arrives next: no repeat of the first.
        second_id = (await commit(db, second))[-1]
        assert await relay_batch(db, limit=100) == 1
        assert (await next_event(events)).id == second_id

    queued = sorted(queued_messages(messaging.QUEUE), key=lambda message: message.args[0])
    assert [(m.actor_name, m.args) for m in queued] == [
        (messaging.send_welcome.actor_name, (first_id, "aurora", first.payload())),
        (messaging.send_welcome.actor_name, (second_id, "aurora", second.payload())),
    ]


@dataclass(frozen=True)
class _Routed(Event):
    """An event of a topic chosen per test (`topic` is set on a subclass)."""

    n: int


@pytest.mark.parametrize("topic", sorted(BATCH_ROUTES))
async def test_batch_of_only_batch_routed_events_reaches_its_batch_actors(
    db: Database, topic: str
) -> None:
    # A relay batch whose events only batch actors take (a steady stream of bets is all
    # wallets.balance_changed) must still go to the broker: it once went to pub/sub alone
    # unless some event of the batch also had a one-event-a-message actor, and the
    # reporting read model and the segments' facts silently stopped growing.
    event_class = type("Only", (_Routed,), {"topic": topic, "__annotations__": {}})
    ids = await commit(db, event_class(n=1), event_class(n=2))

    assert await relay_batch(db, limit=100) == 2

    for actor in BATCH_ROUTES[topic]:
        queued = [m for m in queued_messages(actor.queue_name) if m.actor_name == actor.actor_name]
        assert [[event[0] for event in m.args[0]] for m in queued] == [ids]


async def test_relay_run_twice_does_not_republish(db: Database) -> None:
    await commit(db, Ping(text="once"), registered())

    assert await relay_batch(db, limit=100) == 2
    async with db.uow() as uow:
        published_at = list(await uow.session.scalars(select(OutboxEvent.published_at)))
    assert await relay_batch(db, limit=100) == 0

    async with db.uow() as uow:
        assert list(await uow.session.scalars(select(OutboxEvent.published_at))) == published_at
    assert len(queued_messages(messaging.QUEUE)) == 1


async def test_large_event_reaches_subscribers_whole(db: Database, hub: EventHub) -> None:
    large = Ping(text="x" * (NOTIFY_PAYLOAD_MAX_BYTES + 1))
    async with hub.subscribe(Ping.topic) as events:
        (event_id,) = await commit(db, large)
        assert await relay_batch(db, limit=100) == 1

        assert await next_event(events) == PublishedEvent(
            event_id, Ping.topic, "aurora", large.payload()
        )


async def test_concurrent_relays_publish_each_event_once(db: Database, hub: EventHub) -> None:
    count = 40
    async with hub.subscribe(Ping.topic) as events:
        ids = await commit(db, *(Ping(text=str(n)) for n in range(count)))
        # Five relays at once, on five connections, until the outbox is empty.
        while sum(await asyncio.gather(*(relay_batch(db, limit=3) for _ in range(5)))):
            pass
        received = [(await next_event(events)).id for _ in range(count)]
        marker = (await commit(db, Ping(text="marker")))[-1]
        assert await relay_batch(db, limit=100) == 1

        assert sorted(received) == ids
        # Nothing was published twice: the next event is the marker.
        assert (await next_event(events)).id == marker


def unreachable_broker() -> dramatiq.Broker:
    return build_broker("unix:///nonexistent/stakehouse-test/redis.socket")


async def test_broker_failure_leaves_events_unpublished(
    db: Database, hub: EventHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = registered()
    async with hub.subscribe(PlayerRegistered.topic) as events:
        (event_id,) = await commit(db, event)
        monkeypatch.setattr(messaging.send_welcome, "broker", unreachable_broker())

        with pytest.raises(redis.exceptions.ConnectionError):
            await relay_batch(db, limit=100)
        assert await outbox_ids(db, published=False) == [event_id]

        monkeypatch.undo()
        assert await relay_batch(db, limit=100) == 1
        # Pub/sub saw nothing of the failed attempt: the first event it gets is this one.
        assert await next_event(events) == PublishedEvent(
            event_id, PlayerRegistered.topic, "aurora", event.payload()
        )
    assert [m.args[0] for m in queued_messages(messaging.QUEUE)] == [event_id]


@dataclass
class RunningRelay:
    stop: asyncio.Event
    task: asyncio.Task[None]
    health: TaskHealth

    async def stopped(self) -> None:
        """Ask the relay to stop; fails unless it returns cleanly and promptly."""
        self.stop.set()
        await asyncio.wait_for(self.task, TIMEOUT_S)


@pytest.fixture
async def relay(db: Database, database_url: str) -> AsyncIterator[RunningRelay]:
    """run_relay in the background. The sweep is an hour: only NOTIFY can wake it."""
    stop = asyncio.Event()
    health = TaskHealth(RELAY_TASK)
    running = RunningRelay(
        stop,
        asyncio.create_task(
            run_relay(db, database_url, stop, sweep_interval_s=3600, health=health)
        ),
        health,
    )
    yield running
    await running.stopped()


async def test_run_relay_publishes_on_commit_and_stops(
    db: Database, hub: EventHub, relay: RunningRelay
) -> None:
    async with hub.subscribe(Ping.topic) as events:
        (first,) = await commit(db, Ping(text="first"))
        assert (await next_event(events)).id == first
        second = (await commit(db, Ping(text="second")))[-1]
        assert (await next_event(events)).id == second

    await relay.stopped()
    assert relay.task.result() is None


async def test_run_relay_logs_broker_errors_and_keeps_going(
    db: Database,
    hub: EventHub,
    relay: RunningRelay,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="domain.kernel.supervision")
    monkeypatch.setattr(messaging.send_welcome, "broker", unreachable_broker())
    async with hub.subscribe(PlayerRegistered.topic) as events:
        (failed,) = await commit(db, registered())

        async def failure_logged() -> bool:
            return any(getattr(r, "task", None) == RELAY_TASK for r in caplog.records)

        await eventually(failure_logged)
        assert await outbox_ids(db, published=False) == [failed]
        assert not relay.health.up

        monkeypatch.undo()
        # The next commit wakes the relay, which now publishes both.
        later = (await commit(db, registered()))[-1]
        received = {(await next_event(events)).id for _ in range(2)}

    assert received == {failed, later}
    assert not relay.task.done()

    async def recovered() -> bool:
        return relay.health.up

    await eventually(recovered)
    assert relay.health.restarts >= 1


async def test_scheduler_prunes_old_published_events_and_login_failures(db: Database) -> None:
    now = clock.now()
    week = timedelta(days=7)
    window = timedelta(minutes=get_settings().login_throttle_window_minutes)
    async with db.transaction() as uow:
        old_published, recent_published, old_unpublished = (
            await uow.session.scalars(
                insert(OutboxEvent).returning(OutboxEvent.id),
                [
                    {"topic": "t", "payload": {}, "published_at": now - week - timedelta(hours=1)},
                    {"topic": "t", "payload": {}, "published_at": now - week + timedelta(hours=1)},
                    {"topic": "t", "payload": {}, "created_at": now - 2 * week},
                ],
            )
        ).all()
        await uow.session.execute(
            insert(LoginFailure),
            [
                {"scope": "account", "key": "expired", "at": now - window - timedelta(minutes=1)},
                {"scope": "account", "key": "recent", "at": now},
            ],
        )

    async def pruned() -> bool:
        return old_published not in await outbox_ids(db)

    stop = asyncio.Event()
    scheduler = asyncio.create_task(run_scheduler(db, stop))
    try:
        await eventually(pruned)
    finally:
        stop.set()
        await asyncio.wait_for(scheduler, TIMEOUT_S)

    assert await outbox_ids(db) == [recent_published, old_unpublished]
    async with db.uow() as uow:
        assert list(await uow.session.scalars(select(LoginFailure.key))) == ["recent"]


async def lease_holders(admin_database_url: str) -> list[int]:
    """The server pids holding the relay's lease in this test's database."""
    connection = await asyncpg.connect(plain_url(admin_database_url))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = $1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            RELAY_LEASE_KEY,
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


async def test_one_relay_holds_the_lease_and_a_standby_takes_over_when_it_dies(
    db: Database, database_url: str, admin_database_url: str, hub: EventHub
) -> None:
    stop = asyncio.Event()
    healths = [TaskHealth(f"{RELAY_TASK}-{n}") for n in range(2)]
    relays = [
        asyncio.create_task(run_relay(db, database_url, stop, sweep_interval_s=3600, health=h))
        for h in healths
    ]
    try:

        async def one_leader() -> bool:
            return len(await lease_holders(admin_database_url)) == 1

        await eventually(one_leader)
        (leader,) = await lease_holders(admin_database_url)
        # The standby stands by healthily (readiness counts it as up).
        await eventually(lambda: _all_up(healths))
        async with hub.subscribe(Ping.topic) as events:
            (first,) = await commit(db, Ping(text="first"))
            assert (await next_event(events)).id == first

            # The leader's connection dies (a node lost, a killed backend): the server frees
            # the lease and the standby takes it within its retry interval.
            killer = await asyncpg.connect(plain_url(admin_database_url))
            await killer.execute("SELECT pg_terminate_backend($1)", leader)
            await killer.close()

            async def handed_over() -> bool:
                holders = await lease_holders(admin_database_url)
                return len(holders) == 1 and holders != [leader]

            await eventually(handed_over, timeout_s=LEASE_RETRY_S * 4)
            second = (await commit(db, Ping(text="second")))[-1]
            assert (await next_event(events)).id == second
        assert await outbox_ids(db, published=False) == []
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*relays), TIMEOUT_S * 2)


async def _all_up(healths: list[TaskHealth]) -> bool:
    return all(health.up for health in healths)
