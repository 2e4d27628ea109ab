"""Published domain events, in process: one LISTEN connection fanned out to subscribers.

The outbox relay NOTIFYs every committed event on EVENTS_CHANNEL inside the transaction
that marks it published, so subscribers never see an event before its commit, and every
API replica sees every event. Each process keeps one EventHub (one connection, however
many GraphQL subscriptions or live pages it serves).

Delivery is at most once and may have gaps; a subscriber is told when a gap is possible:
- a subscriber that falls `queue_size` events behind is disconnected (its iterator raises
  SubscriptionInterrupted) rather than silently losing the oldest events, so a client
  never renders a state that skipped a change without knowing it;
- when the connection drops, or anything else goes wrong in the hub, every subscription
  is interrupted the same way (events published while the hub was away are not
  replayed), and the hub reconnects in the background under `supervise` (so no failure,
  whatever its kind, stops it for good); subscriptions made while it was away are
  interrupted once it listens again, since they may have missed events too.
A client that is interrupted resubscribes and refetches the state it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import asyncpg

from domain.kernel.db import plain_url
from domain.kernel.outbox import EVENTS_CHANNEL
from domain.kernel.supervision import TaskHealth, supervise

log = logging.getLogger(__name__)

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; larger events are announced
# without their payload and the hub reads it from outbox_events.
NOTIFY_PAYLOAD_MAX_BYTES: Final = 7_999
SUBSCRIBER_QUEUE_SIZE: Final = 256
# Notifications fanned out per turn of the event loop: well under a subscriber's queue, so
# a subscriber that keeps up is never cut off by a burst the hub itself had queued.
DISPATCH_BATCH_MAX: Final = 32
# Notifications received but not yet fanned out; beyond this the hub is hopelessly behind
# and treats it like a lost connection.
HUB_BACKLOG_MAX: Final = 10_000
CONNECT_TIMEOUT_S: Final = 10.0
# A quiet connection is pinged so a half-open TCP connection is noticed within this time.
KEEPALIVE_INTERVAL_S: Final = 15.0
APPLICATION_NAME: Final = "stakehouse-event-hub"


@dataclass(frozen=True)
class PublishedEvent:
    """A committed outbox event. One instance is shared by every subscriber: read only."""

    id: int
    topic: str
    brand: str | None
    payload: dict[str, Any]


def encode_notification(event: PublishedEvent) -> str:
    """The NOTIFY payload for `event`: the whole event, or only its header when too large."""
    full = _dumps(
        {"id": event.id, "topic": event.topic, "brand": event.brand, "payload": event.payload}
    )
    if len(full.encode()) <= NOTIFY_PAYLOAD_MAX_BYTES:
        return full
    return _dumps({"id": event.id, "topic": event.topic, "brand": event.brand})


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class _Notification:
    """A decoded NOTIFY payload; `payload` is None when it was too large to send."""

    id: int
    topic: str
    brand: str | None
    payload: dict[str, Any] | None

    @classmethod
    def decode(cls, text: str) -> _Notification:
        data = json.loads(text)
        return cls(int(data["id"]), str(data["topic"]), data.get("brand"), data.get("payload"))


class ConnectionLost(Exception):
    """The hub's LISTEN connection ended (killed, closed, or hopelessly behind)."""


_CONNECTION_LOST: Final = "connection to the event stream was lost"


class SubscriptionInterrupted(Exception):
    """Events may have been missed (the subscriber fell behind, or the hub lost its
    connection): resubscribe and refetch the state."""


@dataclass(frozen=True)
class _End:
    """The last item of a subscriber's queue: an interruption, or None for a clean end."""

    reason: str | None


class Subscription:
    """The async iterator `EventHub.subscribe` yields: events of one topic (and brand)."""

    def __init__(self, topic: str, brand: str | None, queue_size: int) -> None:
        self.topic = topic
        self.brand = brand
        self._queue_size = queue_size
        # One spare slot beyond queue_size, so the end marker always fits.
        self._queue: asyncio.Queue[PublishedEvent | _End] = asyncio.Queue(queue_size + 1)
        self._ending = False
        self._ended = False

    def matches(self, event: PublishedEvent) -> bool:
        return self.brand is None or event.brand == self.brand

    def offer(self, event: PublishedEvent) -> bool:
        """Queue `event`; False (and the subscriber interrupted) when it is too far behind."""
        if self._ending:
            return False
        if self._queue.qsize() >= self._queue_size:
            self.end("subscriber fell behind")
            return False
        self._queue.put_nowait(event)
        return True

    def end(self, reason: str | None) -> None:
        """Finish the subscription after what is queued: raise `reason`, or stop cleanly."""
        if not self._ending:
            self._ending = True
            self._queue.put_nowait(_End(reason))

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> PublishedEvent:
        if self._ended:
            raise StopAsyncIteration
        item = await self._queue.get()
        if isinstance(item, PublishedEvent):
            return item
        self._ended = True
        if item.reason is None:
            raise StopAsyncIteration
        raise SubscriptionInterrupted(item.reason)


@dataclass
class _Listening:
    """One LISTEN connection and what it has received; replaced on reconnect."""

    connection: asyncpg.Connection
    inbox: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    lost: bool = False

    def receive(self, payload: str) -> None:
        if self.lost:
            return
        if self.inbox.qsize() >= HUB_BACKLOG_MAX:
            self.mark_lost()
            return
        self.inbox.put_nowait(payload)

    def mark_lost(self) -> None:
        if not self.lost:
            self.lost = True
            self.inbox.put_nowait(None)


class EventHub:
    """The process's LISTEN connection on EVENTS_CHANNEL, fanned out to subscribers.

    `await hub.start()` at boot (it fails if PostgreSQL is unreachable), `await hub.stop()`
    at shutdown (subscriptions end cleanly). Then, per client:

        async with hub.subscribe("accounts.session_revoked", brand=slug) as events:
            async for event in events: ...
    """

    def __init__(self, database_url: str, *, queue_size: int = SUBSCRIBER_QUEUE_SIZE) -> None:
        assert queue_size >= 1
        self._url = plain_url(database_url)
        self._queue_size = queue_size
        self._subscribers: defaultdict[str, set[Subscription]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self._listening_event = asyncio.Event()
        # The connection start() opened, used by the first round of the supervised loop.
        self._first: _Listening | None = None
        self.health = TaskHealth(APPLICATION_NAME)

    @property
    def listening(self) -> bool:
        """Whether the hub is connected and listening (for readiness probes)."""
        return self._listening_event.is_set()

    async def wait_until_listening(self) -> None:
        await self._listening_event.wait()

    async def start(self) -> None:
        assert self._task is None, "EventHub started twice"
        self._first = await self._listen()
        self._task = asyncio.create_task(
            supervise(self.health, self._listen_and_pump), name=APPLICATION_NAME
        )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Closed here, not in the task: a task cancelled before it first ran has no
        # chance to clean up.
        await self._disconnect()
        self._end_all(None)

    @asynccontextmanager
    async def subscribe(
        self, topic: str, *, brand: str | None = None, queue_size: int | None = None
    ) -> AsyncIterator[Subscription]:
        """Events of `topic` (of `brand` only, when given) published while inside the block.
        `queue_size` overrides the hub's bound on how far this subscriber may fall behind."""
        assert self._task is not None, "EventHub.subscribe before start()"
        assert queue_size is None or queue_size >= 1
        subscription = Subscription(topic, brand, queue_size or self._queue_size)
        self._subscribers[topic].add(subscription)
        try:
            yield subscription
        finally:
            self._discard(subscription)

    def _discard(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.topic)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.topic]

    async def _listen(self) -> _Listening:
        connection = await asyncpg.connect(
            self._url,
            timeout=CONNECT_TIMEOUT_S,
            server_settings={"application_name": APPLICATION_NAME},
        )
        listening = _Listening(connection)
        try:
            await connection.add_listener(
                EVENTS_CHANNEL, lambda _c, _pid, _channel, payload: listening.receive(payload)
            )
        except BaseException:
            # terminate(), not close(): no awaiting here, this may be a cancellation.
            connection.terminate()
            raise
        connection.add_termination_listener(lambda _c: listening.mark_lost())
        self._connection = connection
        self._listening_event.set()
        return listening

    async def _listen_and_pump(self, health: TaskHealth) -> None:
        """One connection's life, run again by `supervise` after whatever ends it."""
        listening, self._first = self._first, None
        if listening is None:
            listening = await self._listen()
            # Subscriptions made while the hub was away may have missed events between
            # their subscribe and now: they learn it like the ones the loss interrupted.
            self._end_all(_CONNECTION_LOST)
        health.mark_up()
        try:
            await self._pump(listening)
        except Exception:
            await self._disconnect()
            # The gap until we listen again is invisible: say so to every subscriber.
            self._end_all(_CONNECTION_LOST)
            raise

    async def _disconnect(self) -> None:
        self._listening_event.clear()
        connection, self._connection = self._connection, None
        if connection is not None:
            await _close_quietly(connection)

    async def _pump(self, listening: _Listening) -> None:
        """Fan out notifications; raises ConnectionLost (or what the connection raised)
        when the connection is gone."""
        inbox = listening.inbox
        while True:
            try:
                # asyncio.timeout, not wait_for: wait_for ran each get as a task of its
                # own, so every notification cost a turn of the event loop, and behind a
                # busy loop (thousands of sockets) the hub fell a second behind at a
                # hundred notifications a second.
                async with asyncio.timeout(KEEPALIVE_INTERVAL_S):
                    first = await inbox.get()
            except TimeoutError:
                # A half-open connection fails this ping (and the loop restarts).
                await listening.connection.execute("SELECT 1", timeout=CONNECT_TIMEOUT_S)
                continue
            # Then what else has arrived, up to a batch in this turn; a longer backlog
            # (the process was off its core for a while) goes out a batch a turn, so the
            # subscribers drain their queues between batches instead of overflowing them.
            texts = [first]
            while not inbox.empty() and len(texts) < DISPATCH_BATCH_MAX:
                texts.append(inbox.get_nowait())
            for text in texts:
                if text is None:
                    raise ConnectionLost("the LISTEN connection was closed or fell behind")
                await self._deliver(listening.connection, text)
            if not inbox.empty():
                await asyncio.sleep(0)

    async def _deliver(self, connection: asyncpg.Connection, text: str) -> None:
        try:
            notification = _Notification.decode(text)
        except (ValueError, KeyError, TypeError):
            log.exception("event hub ignored a malformed notification: %.200s", text)
            return
        event = await self._resolve(connection, notification)
        if event is not None:
            self._dispatch(event)

    async def _resolve(
        self, connection: asyncpg.Connection, notification: _Notification
    ) -> PublishedEvent | None:
        """The event of a notification, reading its payload when it was too large to send."""
        payload = notification.payload
        if payload is None:
            text = await connection.fetchval(
                "SELECT payload::text FROM outbox_events WHERE id = $1",
                notification.id,
                timeout=CONNECT_TIMEOUT_S,
            )
            if text is None:
                log.warning("event %s was pruned before the hub read it", notification.id)
                return None
            payload = json.loads(text)
        return PublishedEvent(notification.id, notification.topic, notification.brand, payload)

    def _dispatch(self, event: PublishedEvent) -> None:
        subscribers = self._subscribers.get(event.topic, set())
        # Copy: a subscriber that overflows is removed while we iterate.
        for subscription in list(subscribers):
            if subscription.matches(event) and not subscription.offer(event):
                self._discard(subscription)

    def _end_all(self, reason: str | None) -> None:
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                subscription.end(reason)
                self._discard(subscription)


async def _close_quietly(connection: asyncpg.Connection) -> None:
    if connection.is_closed():
        return
    try:
        await connection.close(timeout=CONNECT_TIMEOUT_S)
    except Exception:  # a broken connection fails in many ways (InternalClientError too)
        connection.terminate()
