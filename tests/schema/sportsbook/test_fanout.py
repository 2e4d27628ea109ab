"""The fan-out layer on its own: one producer per key, shared items, a slow member cut
off without hurting the others, the producer stopped when the last member leaves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from domain.kernel.pubsub import SubscriptionInterrupted
from resolvers.sportsbook.fanout import FanOut, Router


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
