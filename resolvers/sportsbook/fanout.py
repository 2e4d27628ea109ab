"""Fan-out of identical subscriptions: one producer per group, many sockets.

Subscribers that ask for the same thing (same field, same arguments, same brand, and
nothing that depends on who is asking: e.g. `oddsChanged` for a set of events) join one
group. The group has one event-hub subscription and one producer, which builds each
payload once; every member's queue receives that same object, so the per-socket work left
is GraphQL's projection of an already-built value and the send. Five thousand sockets
watching one match cost one payload build per price change, not five thousand.

Per-viewer streams (`betUpdated`, `cashOutOffer`) must not use this: their payloads
depend on the principal.

A member that falls `queue_size` payloads behind is cut off (its iterator raises
SubscriptionInterrupted, as the hub does), never silently skipped; the group goes on for
the others. When the producer ends or fails, every member ends the same way. The last
member to leave stops the producer.

A member that joins with a `write` (a socket's send) is written by the producer's own loop:
each payload goes to every such member in one pass, each write run up to its first
suspension. A send that does not wait (the server's buffer is under its high-water mark)
costs no task switch and no queue; one that waits carries on in a task of that member's
own while the pass goes on, and later payloads queue behind it, in order, up to
`queue_size` before the member is cut off. At 25 sockets a change, waking 25 socket tasks
through 25 queues was most of the per-socket cost (issue 19).
"""

from __future__ import annotations

import asyncio
import contextlib
import types
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

from domain.kernel.pubsub import SubscriptionInterrupted

T = TypeVar("T")
MEMBER_QUEUE_SIZE: Final = 256


@dataclass(frozen=True)
class _End:
    reason: str | None


class Member(Generic[T]):
    """One socket's view of a group: an async iterator over the shared payloads."""

    def __init__(self, queue_size: int) -> None:
        self._queue: asyncio.Queue[T | _End] = asyncio.Queue(queue_size + 1)
        self._queue_size = queue_size
        self._ending = False

    def offer(self, item: T) -> bool:
        if self._ending:
            return False
        if self._queue.qsize() >= self._queue_size:
            self.end("subscriber fell behind")
            return False
        self._queue.put_nowait(item)
        return True

    def end(self, reason: str | None) -> None:
        if not self._ending:
            self._ending = True
            self._queue.put_nowait(_End(reason))

    def __aiter__(self) -> Member[T]:
        return self

    async def __anext__(self) -> T:
        item = await self._queue.get()
        if isinstance(item, _End):
            # Leave the marker for a second __anext__ (iteration stays ended).
            self._queue.put_nowait(item)
            if item.reason is None:
                raise StopAsyncIteration
            raise SubscriptionInterrupted(item.reason)
        return item


class WriteFailed(Exception):
    """A written member's `write` raised (its socket went away): its iterator raises this,
    with the write's error as the cause."""


Write = Callable[[T], Coroutine[Any, Any, None]]


@types.coroutine
def _resume(coroutine: Coroutine[Any, Any, None], waiting: Any) -> Generator[Any, Any, None]:
    """Drive `coroutine` on from the awaitable it yielded when stepped by hand (as `await`
    would have: what the task sends or throws in goes to the coroutine)."""
    while True:
        try:
            sent = yield waiting
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as error:
            try:
                waiting = coroutine.throw(error)
            except StopIteration:
                return
        else:
            try:
                waiting = coroutine.send(sent)
            except StopIteration:
                return


def _start(coroutine: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Run `coroutine` up to its first suspension, here, in the caller's turn: None when it
    finished, else an awaitable that finishes it. Its error, if it raised, propagates."""
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return None
    return _resume(coroutine, waiting)


class WrittenMember(Member[T]):
    """A member whose payloads the producer writes with `write` (see the module's
    docstring). Its iterator yields nothing: it ends as a queued member does, or raises
    WriteFailed; a cut-off or an end waits for the writes already accepted."""

    def __init__(self, queue_size: int, write: Write[T]) -> None:
        super().__init__(queue_size)
        self._write = write
        self._backlog: deque[T] = deque()
        self._flushing: asyncio.Task[None] | None = None
        self._deferred_end: _End | None = None
        self._failure: BaseException | None = None

    def offer(self, item: T) -> bool:
        if self._ending:
            return False
        if self._flushing is not None:
            if len(self._backlog) >= self._queue_size:
                self.end("subscriber fell behind")
                return False
            self._backlog.append(item)
            return True
        try:
            waiting = _start(self._write(item))
        except Exception as error:
            self._fail(error)
            return False
        if waiting is not None:
            self._flushing = asyncio.ensure_future(self._flush(waiting))
        return True

    async def _flush(self, waiting: Awaitable[None]) -> None:
        try:
            await waiting
            while self._backlog:
                await self._write(self._backlog.popleft())
        except Exception as error:
            self._failure = error
            self._backlog.clear()
            self._ending = True
            self._deferred_end = self._deferred_end or _End(None)
        finally:
            self._flushing = None
            if self._deferred_end is not None:
                self._queue.put_nowait(self._deferred_end)

    def _fail(self, error: BaseException) -> None:
        self._failure = error
        self._backlog.clear()
        if not self._ending:
            self._ending = True
            self._queue.put_nowait(_End(None))

    def end(self, reason: str | None) -> None:
        if self._ending:
            return
        self._ending = True
        if self._flushing is None:
            self._queue.put_nowait(_End(reason))
        else:
            self._deferred_end = _End(reason)

    def close(self) -> None:
        """The member left: a write still waiting is abandoned."""
        self._ending = True
        self._backlog.clear()
        if self._flushing is not None:
            self._flushing.cancel()

    async def __anext__(self) -> T:
        try:
            return await super().__anext__()
        except (StopAsyncIteration, SubscriptionInterrupted):
            if self._failure is not None:
                raise WriteFailed(str(self._failure)) from self._failure
            raise


@dataclass
class _Group(Generic[T]):
    members: set[Member[T]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class FanOut:
    """The groups of one process (one per event hub, see `fanout_for`)."""

    def __init__(self, *, queue_size: int = MEMBER_QUEUE_SIZE) -> None:
        self._groups: dict[Hashable, _Group[Any]] = {}
        self._queue_size = queue_size

    @property
    def group_count(self) -> int:
        return len(self._groups)

    def members(self, key: Hashable) -> int:
        group = self._groups.get(key)
        return len(group.members) if group else 0

    @asynccontextmanager
    async def join(
        self,
        key: Hashable,
        produce: Callable[[], AsyncIterator[T]],
        *,
        write: Write[T] | None = None,
    ) -> AsyncIterator[Member[T]]:
        """Join the group `key`, starting its producer `produce()` if it has none. The
        producer must depend on nothing but `key` (it serves every member). With `write`,
        the producer writes this member's payloads itself (WrittenMember)."""
        existing: _Group[T] | None = self._groups.get(key)
        group: _Group[T] = existing if existing is not None else _Group()
        if existing is None:
            self._groups[key] = group
            group.task = asyncio.create_task(self._run(key, group, produce))
        member: Member[T] = (
            Member(self._queue_size) if write is None else WrittenMember(self._queue_size, write)
        )
        group.members.add(member)
        try:
            yield member
        finally:
            group.members.discard(member)
            if isinstance(member, WrittenMember):
                member.close()
            if not group.members and self._groups.get(key) is group:
                del self._groups[key]
                if group.task is not None:
                    group.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await group.task

    async def _run(
        self, key: Hashable, group: _Group[T], produce: Callable[[], AsyncIterator[T]]
    ) -> None:
        reason: str | None = None
        try:
            async for item in produce():
                for member in list(group.members):
                    if not member.offer(item):
                        group.members.discard(member)
        except SubscriptionInterrupted as interrupted:
            reason = str(interrupted)
        except asyncio.CancelledError:
            raise
        except Exception:
            reason = "the stream failed"
            raise
        finally:
            # New subscribers start a fresh group rather than join one that has ended.
            if self._groups.get(key) is group:
                del self._groups[key]
            for member in list(group.members):
                member.end(reason)


class Router:
    """One hub subscription to a topic, routing each event to the members watching its key
    (e.g. `oddsChanged` groups by event id): a change wakes the groups that watch it, not
    every group of the process (200 groups on one topic each woke and filtered every
    change). Brand filtering stays with the members. A member that falls behind is cut off
    as the hub would cut it; when the hub interrupts or ends the subscription, every member
    ends the same way and the next `watch` subscribes again."""

    def __init__(
        self, hub: Any, topic: str, key_of: Callable[[Any], Hashable], *, queue_size: int
    ) -> None:
        self._hub = hub
        self._topic = topic
        self._key_of = key_of
        self._queue_size = queue_size
        self._watchers: dict[Hashable, set[Member[Any]]] = {}
        self._members: set[Member[Any]] = set()
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    @asynccontextmanager
    async def watch(self, keys: frozenset[Hashable]) -> AsyncIterator[Member[Any]]:
        """The events whose key is in `keys`, from the moment this returns."""
        member: Member[Any] = Member(self._queue_size)
        self._members.add(member)
        for key in keys:
            self._watchers.setdefault(key, set()).add(member)
        try:
            if self._task is None or self._task.done():
                self._subscribed = asyncio.Event()
                self._task = asyncio.create_task(self._run(self._subscribed))
            subscribed = asyncio.ensure_future(self._subscribed.wait())
            await asyncio.wait({subscribed, self._task}, return_when=asyncio.FIRST_COMPLETED)
            subscribed.cancel()
            yield member
        finally:
            self._leave(member, keys)

    def _leave(self, member: Member[Any], keys: frozenset[Hashable]) -> None:
        self._members.discard(member)
        for key in keys:
            watching = self._watchers.get(key)
            if watching is not None:
                watching.discard(member)
                if not watching:
                    del self._watchers[key]
        if not self._members and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, subscribed: asyncio.Event) -> None:
        reason: str | None = None
        try:
            async with self._hub.subscribe(self._topic, brand=None) as events:
                subscribed.set()
                async for event in events:
                    for member in list(self._watchers.get(self._key_of(event), ())):
                        member.offer(item=event)
        except SubscriptionInterrupted as interrupted:
            reason = str(interrupted)
        except asyncio.CancelledError:
            raise
        except Exception:
            reason = "the stream failed"
            raise
        finally:
            subscribed.set()
            for member in list(self._members):
                member.end(reason)


_ROUTERS: weakref.WeakKeyDictionary[Any, dict[str, Router]] = weakref.WeakKeyDictionary()


def router_for(hub: Any, topic: str, key_of: Callable[[Any], Hashable]) -> Router:
    """The process's Router of `topic` on `hub` (one per topic: `key_of` is the first
    caller's, so every caller of a topic must pass the same)."""
    routers = _ROUTERS.get(hub)
    if routers is None:
        routers = {}
        _ROUTERS[hub] = routers
    router = routers.get(topic)
    if router is None:
        router = Router(hub, topic, key_of, queue_size=MEMBER_QUEUE_SIZE)
        routers[topic] = router
    return router


_FANOUTS: weakref.WeakKeyDictionary[Any, FanOut] = weakref.WeakKeyDictionary()


def fanout_for(hub: Any) -> FanOut:
    """The FanOut of the process's event hub (groups read that hub)."""
    found = _FANOUTS.get(hub)
    if found is None:
        found = FanOut()
        _FANOUTS[hub] = found
    return found
