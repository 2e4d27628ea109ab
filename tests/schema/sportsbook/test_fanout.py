"""The fan-out layer on its own: one producer per key, shared items, a slow member cut
off without hurting the others, the producer stopped when the last member leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from domain.kernel.pubsub import SubscriptionInterrupted
from resolvers.sportsbook.fanout import FanOut


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
