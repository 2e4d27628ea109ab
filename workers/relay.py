"""The outbox relay: publishes committed outbox rows to their actors and to pub/sub.

Delivery is at least once. A batch is claimed and marked published (one statement), sent
to the broker and NOTIFYed on EVENTS_CHANNEL in one transaction, committed only once the
broker has acknowledged its messages, and an acknowledgement means on disk (the embedded Redis
fsyncs its append-only file before it answers; RabbitMQ publishes with confirms). If
anything fails the transaction rolls back, the NOTIFYs are discarded with it (PostgreSQL
sends them only at commit) and the rows are retried, so an actor may see an event twice
(actors are idempotent) but pub/sub never sees an uncommitted one. Relays may run on
several replicas, but one at a time relays: each holds its LISTEN connection open and
tries to take a lease on it (a PostgreSQL advisory lock, released by the server the moment
that connection dies); the others stand by and try again every LEASE_RETRY_S. So N API
replicas no longer race N relays for the same rows, and a relay that dies hands over within
seconds. (Rows are still claimed with `FOR UPDATE SKIP LOCKED`, so even two leaders, say
across a network partition that the server has not noticed yet, never publish one batch
twice; consumers must not depend on order across batches.) In production the relay runs as
its own Deployment (`stakehouse relay`) and `STAKEHOUSE_RELAY_IN_API=false` keeps it out of
the API processes, where it would queue behind subscription fan-out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final, NamedTuple

import asyncpg
from prometheus_client import Gauge
from sqlalchemy import func, select, text, update

from domain.kernel import telemetry
from domain.kernel.db import Database, UnitOfWork, plain_url
from domain.kernel.outbox import EVENTS_CHANNEL, RELAY_CHANNEL, OutboxEvent
from domain.kernel.pubsub import PublishedEvent, encode_notification
from domain.kernel.settings import get_settings
from domain.kernel.supervision import TaskHealth, supervise
from workers.routing import Actor, actors_for, batch_actors_for, routed
from workers.telemetry import CONTEXT_OPTION

log = logging.getLogger(__name__)

# The NOTIFY trigger wakes the relay at once; the sweep catches anything a lost listener
# connection missed, so the worst-case delay is this interval.
SWEEP_INTERVAL_S: Final = 5.0
LISTENER_CONNECT_TIMEOUT_S: Final = 10.0
LISTENER_APPLICATION_NAME: Final = "stakehouse-relay"
# The lease: one advisory lock key for the outbox relay of a database.
RELAY_LEASE_KEY: Final = 0x5354_4B48_5245_4C59 % (2**63)  # "STKHRELY"
LEASE_RETRY_S: Final = 2.0
# How often the leader refreshes the outbox lag gauges (the drain runs far more often).
MEASURE_INTERVAL_S: Final = 1.0
RELAY_LEADER: Final = Gauge(
    "stakehouse_outbox_relay_leader",
    "1 while this process holds the outbox relay's lease and relays; 0 while it stands by",
)
# Published rows are kept a week for debugging and replays, then pruned by the scheduler.
PUBLISHED_RETENTION: Final = timedelta(days=7)

# Every replica reports the same table-wide count: aggregate with max(), not sum().
OUTBOX_UNPUBLISHED: Final = Gauge(
    "stakehouse_outbox_unpublished", "Committed outbox events the relay has not published yet"
)
# The lag that matters to a player (a settlement, a payout waits behind it): how long the
# oldest committed event has waited. 0 when nothing waits.
OUTBOX_OLDEST_AGE: Final = Gauge(
    "stakehouse_outbox_oldest_unpublished_age_seconds",
    "Seconds since the oldest unpublished outbox event was committed (0: none waiting)",
)

RELAY_TASK: Final = "outbox-relay"


async def relay_batch(db: Database, *, limit: int) -> int:
    """Publish up to `limit` committed events, oldest first, and return how many.

    Raises whatever the broker or the database raises; the batch's rows then stay
    unpublished and the next call retries them.
    """
    assert limit >= 1
    async with db.uow() as uow:
        # Claimed and marked published in one statement: the mark is undone with the rest
        # of the transaction if the broker or the NOTIFY fails.
        claimed = await _claim_unpublished(uow, limit)
        if not claimed:
            return 0
        events = [item.event for item in claimed]
        if any(routed(event.topic) for event in events):
            # The broker client blocks; sending from a thread keeps the event loop serving.
            # Only then: most events (odds changes) go to pub/sub alone, and a hop through
            # the thread pool waits for the GIL behind a busy loop (up to its 5 ms switch
            # interval per batch).
            await asyncio.to_thread(_send_to_actors, claimed)
        await _notify(uow, events)
        await uow.commit()
    return len(events)


async def _claim_unpublished(uow: UnitOfWork, limit: int) -> list[_Claimed]:
    # SKIP LOCKED: rows another relay is publishing are left to it, not waited for.
    oldest = (
        select(OutboxEvent.id)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = await uow.session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(oldest.scalar_subquery()))
        .values(published_at=func.now())
        .returning(
            OutboxEvent.id,
            OutboxEvent.topic,
            OutboxEvent.brand,
            OutboxEvent.payload,
            OutboxEvent.context,
        )
        .execution_options(synchronize_session=False)
    )
    # RETURNING follows no order: publish oldest first, as the claim chose them.
    return [
        _Claimed(PublishedEvent(row.id, row.topic, row.brand, row.payload), row.context)
        for row in sorted(rows, key=lambda row: row.id)
    ]


class _Claimed(NamedTuple):
    event: PublishedEvent
    # The emitting request's trace and log context (domain/kernel/telemetry.py), or None.
    context: dict[str, str] | None


def _send_to_actors(claimed: Sequence[_Claimed]) -> None:
    batches: dict[str, tuple[Actor, list[list[Any]]]] = {}
    for event, _ in claimed:
        for actor in batch_actors_for(event.topic):
            entry = batches.setdefault(actor.actor_name, (actor, []))
            entry[1].append([event.id, event.topic, event.brand, event.payload])
    for actor, events in batches.values():
        actor.send(events)
    for event, context in claimed:
        actors = actors_for(event.topic)
        if not actors:
            continue
        # The message carries the context, so the actor's span is a child of the request
        # that emitted the event (through this publish span, which shows the outbox's lag
        # in the trace) and its log lines carry that request's id.
        span = telemetry.publish_span(event.topic, event.id, context)
        carried = telemetry.with_span(context, span)
        options: dict[str, Any] = {CONTEXT_OPTION: carried} if carried else {}
        try:
            for actor in actors:
                actor.send_with_options(args=(event.id, event.brand, event.payload), **options)
        finally:
            if span is not None:
                span.end()


async def _notify(uow: UnitOfWork, events: Sequence[PublishedEvent]) -> None:
    # One statement for the whole batch; unnest keeps the order of the list.
    await uow.session.execute(
        text("SELECT pg_notify(:channel, message) FROM unnest(CAST(:messages AS text[])) message"),
        {"channel": EVENTS_CHANNEL, "messages": [encode_notification(e) for e in events]},
    )


async def run_relay(
    db: Database,
    database_url: str,
    stop: asyncio.Event,
    *,
    limit: int | None = None,
    sweep_interval_s: float = SWEEP_INTERVAL_S,
    health: TaskHealth | None = None,
) -> None:
    """Publish the outbox until `stop` is set: at once when a commit NOTIFYs RELAY_CHANNEL,
    and every `sweep_interval_s` regardless. Any failure (database, broker, a bug) restarts
    the loop under `supervise`, with backoff; the events stay unpublished until a later
    batch succeeds."""
    batch_limit = limit or get_settings().relay_batch_size
    relay_health = health or TaskHealth(RELAY_TASK)

    async def relay_until_stopped(task: TaskHealth) -> None:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        listener = await _listen(database_url, wake)
        try:
            while not await listener.fetchval(_TAKE_LEASE, RELAY_LEASE_KEY):
                # Another process relays; standing by is healthy.
                RELAY_LEADER.set(0)
                task.mark_up()
                await _wait_for_any((stop,), LEASE_RETRY_S)
                if stop.is_set():
                    return
            RELAY_LEADER.set(1)
            log.info("outbox relay: this process holds the lease and relays")
            measured_at = -MEASURE_INTERVAL_S
            while not stop.is_set():
                # Cleared before draining: a commit during the drain wakes the next round.
                wake.clear()
                await _drain(db, batch_limit, stop)
                if loop.time() - measured_at >= MEASURE_INTERVAL_S:
                    # A gauge scraped every few seconds: counting after every wake (a
                    # hundred a second under a price feed) was a query per commit.
                    await _measure_unpublished(db)
                    measured_at = loop.time()
                if listener.is_closed():
                    # Killed while we drained: LISTEN again rather than sweep blind.
                    raise ConnectionError("the relay's LISTEN connection was closed")
                task.mark_up()
                await _wait_for_any((stop, wake), sweep_interval_s)
        finally:
            RELAY_LEADER.set(0)
            # Closing the connection ends its session, which releases the lease.
            listener.terminate()

    await supervise(relay_health, relay_until_stopped, stop=stop)


_TAKE_LEASE: Final = "SELECT pg_try_advisory_lock($1)"


async def _drain(db: Database, limit: int, stop: asyncio.Event) -> None:
    """Publish full batches until the outbox is empty; raises what a failed batch raised."""
    while not stop.is_set():
        published = await relay_batch(db, limit=limit)
        if published < limit:
            return


async def _listen(database_url: str, wake: asyncio.Event) -> asyncpg.Connection:
    """A connection LISTENing on RELAY_CHANNEL that sets `wake` on each notification (and
    when it is lost, so the loop notices at once)."""
    connection = await asyncpg.connect(
        plain_url(database_url),
        timeout=LISTENER_CONNECT_TIMEOUT_S,
        server_settings={"application_name": LISTENER_APPLICATION_NAME},
    )
    try:
        await connection.add_listener(RELAY_CHANNEL, lambda *_: wake.set())
    except BaseException:
        connection.terminate()
        raise
    connection.add_termination_listener(lambda _c: wake.set())
    return connection


async def _measure_unpublished(db: Database) -> None:
    # Cheap: the partial index ix_outbox_events_unpublished holds only unpublished rows.
    try:
        async with db.uow() as uow:
            waiting = OutboxEvent.published_at.is_(None)
            oldest = (
                select(OutboxEvent.created_at)
                .where(waiting)
                .order_by(OutboxEvent.id)
                .limit(1)
                .scalar_subquery()
            )
            row = (
                await uow.session.execute(
                    select(func.count(), func.extract("epoch", func.now() - oldest))
                    .select_from(OutboxEvent)
                    .where(waiting)
                )
            ).one()
    except Exception:
        log.warning("outbox relay cannot count unpublished events", exc_info=True)
        return
    count, age_s = row
    OUTBOX_UNPUBLISHED.set(count or 0)
    OUTBOX_OLDEST_AGE.set(max(float(age_s or 0), 0.0))


async def _wait_for_any(events: Sequence[asyncio.Event], timeout_s: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
