"""Runs the simulated odds feed (domain.integrations.feed_simulator) in real time: every
tick its due messages go to a FeedSink, by default the broker's `feed` queue, so they take
the same path as a real feed's (`sportsbook.feed_message`). `stakehouse dev` runs it next
to the scheduler; `stakehouse feed-simulator` runs it alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from domain.integrations.feed import FeedSink
from domain.integrations.feed_simulator import FeedSimulator
from domain.kernel import clock

log = logging.getLogger(__name__)

TICK_S = 1.0


async def run_feed_simulator(
    stop: asyncio.Event, *, sink: FeedSink | None = None, seed: int = 7, tick_s: float = TICK_S
) -> None:
    """Deliver the simulator's messages every `tick_s` until `stop` is set."""
    if sink is None:
        from workers.actors.feed import BrokerFeedSink  # noqa: PLC0415 (declares actors)

        sink = BrokerFeedSink()
    simulator = FeedSimulator(seed=seed, start=clock.now(), tick_s=tick_s)
    while not stop.is_set():
        try:
            for message in simulator.poll(clock.now()):
                await sink.deliver(message)
        except Exception:
            log.exception("feed simulator tick failed; continuing")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick_s)
