"""The fan-out layer on its own: one producer per key, shared items, a slow member cut
off without hurting the others, the producer stopped when the last member leaves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from domain.kernel.pubsub import SubscriptionInterrupted
from resolvers.sportsbook.fanout import FanOut, Router, WriteFailed


async def test_members_of_a_key_share_one_producer_and_its_items() -> None:
    fanout = FanOut(queue_size=2)
    source: asyncio.Queue[object] = asyncio.Queue()
    started: list[str] = []
    stopped: list[str] = []

    async def produce() -> AsyncIterator[object]:
        started.append("p")
        try:
            while True:
                yield await source.get()
        finally:
            stopped.append("p")

    async with fanout.join("k", produce) as first, fanout.join("k", produce) as second:
        async with fanout.join("k", produce) as slow:
            item = object()
            await source.put(item)
            got = [await anext(first), await anext(second)]
            for _ in range(3):
                await source.put(object())
                await anext(first), await anext(second)
            kept = [await anext(slow), await anext(slow)]
            with pytest.raises(SubscriptionInterrupted):
                await anext(slow)
        assert fanout.members("k") == 2
    await asyncio.sleep(0)

    assert got == [item, item]
    assert kept[0] is item
    assert (started, stopped, fanout.group_count) == (["p"], ["p"], 0)


async def _until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_written_members_are_written_in_the_producers_pass_and_a_waiting_one_holds_no_other() -> (
    None
):
    fanout = FanOut(queue_size=2)
    source: asyncio.Queue[int] = asyncio.Queue()
    producer: list[asyncio.Task[Any] | None] = []

    async def produce() -> AsyncIterator[int]:
        producer.append(asyncio.current_task())
        while True:
            yield await source.get()

    fast: list[tuple[int, bool]] = []
    slow: list[tuple[int, bool]] = []
    gate = asyncio.Event()

    async def write_fast(item: int) -> None:
        fast.append((item, asyncio.current_task() is producer[0]))

    async def write_slow(item: int) -> None:
        if item == 1:
            await gate.wait()
        slow.append((item, asyncio.current_task() is producer[0]))

    async def write_broken(item: int) -> None:
        raise ConnectionResetError("gone")

    async with (
        fanout.join("k", produce, write=write_fast) as quick,
        fanout.join("k", produce, write=write_slow) as stuck,
        fanout.join("k", produce, write=write_broken) as broken,
    ):
        # The first payload finds the broken socket; its member ends, the rest go on.
        await source.put(1)
        with pytest.raises(WriteFailed):
            await anext(broken)
        # The stuck socket's send waits on its first payload; the next two queue behind it
        # (its queue of 2), the quick socket has each at once, from the producer's own task.
        for item in (2, 3):
            await source.put(item)
        await _until(lambda: len(fast) == 3)
        assert slow == []
        await source.put(4)  # a third behind the stuck send: cut off
        await source.put(5)
        await _until(lambda: len(fast) == 5)
        assert fast == [(1, True), (2, True), (3, True), (4, True), (5, True)]

        gate.set()
        with pytest.raises(SubscriptionInterrupted, match="fell behind"):
            await anext(stuck)
        # What it had accepted arrives, in order, written by its own task after the wait.
        assert slow == [(1, False), (2, False), (3, False)]
        assert fanout.members("k") == 1
        await source.put(6)
        await _until(lambda: len(fast) == 6)
        assert fast[-1] == (6, True)
        assert quick is not None
    assert fanout.group_count == 0


class _Hub:
    """The event hub's subscribe() over a queue: counts subscriptions open."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[object] = asyncio.Queue()
        self.open = 0
        self.opened = 0

    @contextlib.asynccontextmanager
    async def subscribe(self, _topic: str, *, brand: str | None) -> AsyncIterator[Any]:
        assert brand is None
        self.open += 1
        self.opened += 1

        async def stream() -> AsyncIterator[object]:
            while True:
                item = await self.events.get()
                if isinstance(item, SubscriptionInterrupted):
                    raise item
                yield item

        try:
            yield stream()
        finally:
            self.open -= 1


async def test_a_router_wakes_only_the_members_watching_an_events_key() -> None:
    hub = _Hub()
    router = Router(hub, "odds", lambda event: event["key"], queue_size=4)

    async with router.watch(frozenset({1, 2})) as both, router.watch(frozenset({2})) as two:
        await hub.events.put({"key": 1})
        await hub.events.put({"key": 2})
        await hub.events.put({"key": 3})
        await hub.events.put({"key": 2, "n": 2})

        assert [await anext(both), await anext(both), await anext(both)] == [
            {"key": 1}, {"key": 2}, {"key": 2, "n": 2},
        ]  # fmt: skip
        assert [await anext(two), await anext(two)] == [{"key": 2}, {"key": 2, "n": 2}]
        assert (hub.opened, hub.open) == (1, 1)
        await hub.events.put(SubscriptionInterrupted("the hub lost its connection"))
        for member in (both, two):
            with pytest.raises(SubscriptionInterrupted):
                await anext(member)
    await asyncio.sleep(0)
    assert hub.open == 0

    # After an interruption the next watcher subscribes again.
    async with router.watch(frozenset({5})) as again:
        await hub.events.put({"key": 5})
        assert await anext(again) == {"key": 5}
    assert hub.opened == 2


async def test_a_written_member_whose_waiting_send_fails_ends_alone() -> None:
    fanout = FanOut(queue_size=4)
    source: asyncio.Queue[int] = asyncio.Queue()

    async def produce() -> AsyncIterator[int]:
        while True:
            yield await source.get()

    fast: list[int] = []
    gate = asyncio.Event()

    async def write_fast(item: int) -> None:
        fast.append(item)

    async def write_dropped(item: int) -> None:
        await gate.wait()
        raise ConnectionResetError("the peer went away while the buffer was full")

    async with (
        fanout.join("k", produce, write=write_fast),
        fanout.join("k", produce, write=write_dropped) as dropped,
    ):
        for item in (1, 2):
            await source.put(item)
        await _until(lambda: len(fast) == 2)
        gate.set()
        with pytest.raises(WriteFailed) as failed:
            await anext(dropped)
        assert isinstance(failed.value.__cause__, ConnectionResetError)
        await source.put(3)
        await _until(lambda: len(fast) == 3)
        assert fast == [1, 2, 3]
        assert fanout.members("k") == 1
