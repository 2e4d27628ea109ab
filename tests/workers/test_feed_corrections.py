"""Feed corrections through the real broker: 200 markets (50 events of 4), each sent a burst
of settle / rollback / settle / cancel / rollback-cancel messages as feeds send corrections,
delivered shuffled and some twice, to a real dramatiq Worker with several threads on the
`feed` and `sportsbook` queues (the relay publishing the outbox meanwhile). Each market
must end as its messages in producer order say (status, result, every bet's status and
payout, every wallet), the ledger must balance, nothing may be dead-lettered; and the same
when the first worker is killed (SIGKILL, mid-way) and a fresh one finishes."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from dramatiq.brokers.redis import MAINTENANCE_SCALE
from dramatiq.common import dq_name
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook.feed.port import EventMessage
from domain.sportsbook.models import FeedMessage as FeedMessageRow
from tests.domain.sportsbook.feed.support import (
    Book,
    Expected,
    actual_book,
    build_book,
    bursts,
    expected_book,
)
from tests.domain.sportsbook.support import assert_ledger_ok, wallets
from tests.workers import (
    flushed_broker,  # noqa: F401 (autouse fixture)
    running_worker,
)
from workers.actors import broker, feed, sportsbook
from workers.relay import relay_batch

EVENTS = 50
WORKER_THREADS = 4
# A budget, not a timing goal: on a loaded 2-core machine the book took over 200 s.
CONVERGE_TIMEOUT_S = 400.0
SEED = 2026


async def _drive_until(db: Database, expected: Expected, *, timeout_s: float) -> bool:
    """Relay the outbox (as the API processes do) until the book is as expected."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        await relay_batch(db, limit=500)
        if await actual_book(db) == expected.markets:
            return True
        await asyncio.sleep(0.5)
    return False


async def _drained() -> None:
    """Wait until nothing is queued or waiting to be retried: a message that lost a deadlock
    is retried after a backoff, and the claims are counted only once it has run. Twice
    over, since a message on one queue may enqueue one on the other."""
    for _ in range(2):
        for queue in (feed.QUEUE, sportsbook.QUEUE):
            for name in (queue, dq_name(queue)):
                await asyncio.to_thread(broker.join, name, timeout=60_000)


async def _mismatches(db: Database, expected: Expected) -> dict[int, object]:
    """The markets not as expected, (actual, expected) each: the failure's message."""
    actual = await actual_book(db)
    return {m: (actual[m], e) for m, e in expected.markets.items() if actual[m] != e}


def _deliveries(rng: random.Random, messages: list[EventMessage]) -> list[EventMessage]:
    deliveries = messages + messages[::4]  # at-least-once: some twice
    rng.shuffle(deliveries)
    return deliveries


async def _assert_converged(db: Database, book: Book, expected: Expected, sent: int) -> None:
    assert await actual_book(db) == expected.markets
    assert {p: await wallets(db, p) for p in book.players} == expected.wallets
    async with db.uow() as uow:
        claimed = await uow.session.scalar(select(func.count()).select_from(FeedMessageRow))
    assert claimed == sent + EVENTS  # each message once (and each event's first odds)
    for queue in (feed.QUEUE, sportsbook.QUEUE):
        assert broker.client.zcard(f"stakehouse:{queue}.XQ") == 0, queue
    await assert_ledger_ok(db)


async def _setup(
    db: Database, registry: BrandRegistry
) -> tuple[Book, Expected, list[EventMessage], int]:
    rng = random.Random(SEED)
    book = await build_book(db, registry, EVENTS)
    messages, scripts = bursts(rng, EVENTS)
    expected = expected_book(book, scripts)
    # Not a vacuous test: every ending is represented.
    endings = {status for status, _, _ in expected.markets.values()}
    assert endings == {"settled", "cancelled", "suspended"}
    return book, expected, _deliveries(rng, messages), len(messages)


async def test_corrections_in_shuffled_bursts_end_as_the_last_messages_say(
    db: Database, registry: BrandRegistry
) -> None:
    book, expected, deliveries, sent = await _setup(db, registry)
    sink = feed.BrokerFeedSink()
    for message in deliveries:
        await sink.deliver(message)

    async with running_worker(feed.QUEUE, sportsbook.QUEUE, worker_threads=WORKER_THREADS):
        converged = await _drive_until(db, expected, timeout_s=CONVERGE_TIMEOUT_S)
        await _drained()

    assert converged, await _mismatches(db, expected)
    await _assert_converged(db, book, expected, sent)


@pytest.fixture
def quick_dead_worker_recovery() -> Iterator[None]:
    """A killed worker's unacknowledged messages go back on their queue once its heartbeat
    is older than heartbeat_timeout, checked in the broker's maintenance: both made quick
    here (production waits a minute, so a slow worker is not taken for dead)."""
    before = (broker.heartbeat_timeout, broker.maintenance_chance)
    broker.heartbeat_timeout, broker.maintenance_chance = 1_000, MAINTENANCE_SCALE
    yield
    broker.heartbeat_timeout, broker.maintenance_chance = before


async def _converged_markets(db: Database, expected: Expected) -> int:
    actual = await actual_book(db)
    return sum(actual[market] == wanted for market, wanted in expected.markets.items())


async def test_a_worker_killed_mid_way_leaves_the_rest_to_a_fresh_one(
    db: Database, registry: BrandRegistry, quick_dead_worker_recovery: None
) -> None:
    book, expected, deliveries, sent = await _setup(db, registry)
    sink = feed.BrokerFeedSink()
    for message in deliveries:
        await sink.deliver(message)
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dramatiq", "workers.actors", "--processes", "1",
        "--threads", str(WORKER_THREADS), "--queues", feed.QUEUE, sportsbook.QUEUE,
        env=os.environ.copy(), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONVERGE_TIMEOUT_S
        while await _converged_markets(db, expected) < len(expected.markets) // 4:
            assert loop.time() < deadline, "the first worker made no progress"
            await relay_batch(db, limit=500)
            await asyncio.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # mid-way: no chance to finish or give back
        await first.wait()
    halfway = await _converged_markets(db, expected)
    await asyncio.sleep(1.5)  # the dead worker's heartbeat goes stale

    async with running_worker(feed.QUEUE, sportsbook.QUEUE, worker_threads=WORKER_THREADS):
        converged = await _drive_until(db, expected, timeout_s=CONVERGE_TIMEOUT_S)
        await _drained()

    assert halfway < len(expected.markets)  # killed before it was done
    assert converged, await _mismatches(db, expected)
    await _assert_converged(db, book, expected, sent)
