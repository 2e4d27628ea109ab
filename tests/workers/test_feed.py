"""The odds feed through the real broker: messages sent by the production sink land on the
`feed` queue and a real dramatiq Worker (two threads, so two messages of one event may run
at once) applies them once each, the latest per event winning whatever the delivery order."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from domain.kernel.db import Database
from domain.sportsbook.feed.port import to_wire
from domain.sportsbook.models import Event, Market, Outcome
from domain.sportsbook.models import FeedMessage as FeedMessageRow
from tests.domain.sportsbook.feed.test_processing import odds_change
from tests.workers import (
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from workers.actors import broker, feed

UPDATES = 12
JOIN_TIMEOUT_MS = 20_000


def _home_odds(sequence: int) -> str:
    return f"{Decimal('1.50') + Decimal(sequence) / 10:.2f}"


async def test_feed_messages_sent_out_of_order_and_twice_apply_once_latest_winning(
    db: Database,
) -> None:
    messages = [odds_change(f"m{n}", n, _home_odds(n)) for n in range(1, UPDATES + 1)]
    deliveries = messages + messages[::3]  # the feed repeats some (at-least-once)
    random.Random(7).shuffle(deliveries)
    sink = feed.BrokerFeedSink()
    for message in deliveries:
        await sink.deliver(message)
    assert len(queued_messages(feed.QUEUE)) == len(deliveries)

    async with running_worker(feed.QUEUE):
        await asyncio.to_thread(broker.join, feed.QUEUE, timeout=JOIN_TIMEOUT_MS)

    async with db.uow() as uow:
        event = (await uow.session.scalars(select(Event))).one()
        markets = await uow.session.scalar(select(func.count()).select_from(Market))
        rows = await uow.session.execute(select(Outcome.key, Outcome.odds).order_by(Outcome.id))
        odds = dict(rows.all())
        claimed = await uow.session.scalar(select(func.count()).select_from(FeedMessageRow))
    assert (event.feed_ref, event.feed_sequence, markets) == ("ev:1", UPDATES, 1)
    assert odds == {
        "home": Decimal(_home_odds(UPDATES)),
        "draw": Decimal("3.50"),
        "away": Decimal("4.00"),
    }
    assert claimed == UPDATES  # each message applied (or found stale) once, repeats skipped


async def test_a_malformed_feed_message_is_dead_lettered_without_retries(db: Database) -> None:
    counted_before = _dead_lettered("INVALID_FEED_MESSAGE")
    feed.feed_message.send({"kind": "odds_change", "producer": "live"})

    async with running_worker(feed.QUEUE):
        await asyncio.to_thread(broker.join, feed.QUEUE, timeout=JOIN_TIMEOUT_MS)

    dead = broker.client.zcard(f"stakehouse:{feed.QUEUE}.XQ")
    async with db.uow() as uow:
        events = await uow.session.scalar(select(func.count()).select_from(Event))
        claimed = await uow.session.scalar(select(func.count()).select_from(FeedMessageRow))
    assert (dead, events, claimed) == (1, 0, 0)
    assert _dead_lettered("INVALID_FEED_MESSAGE") == counted_before + 1


def _dead_lettered(reason: str) -> float:
    sample = REGISTRY.get_sample_value(
        "stakehouse_messages_dead_lettered_total",
        {"actor": "sportsbook.feed_message", "reason": reason},
    )
    return sample or 0.0


@pytest.mark.parametrize("odds", ["NaN", "Infinity", "-1.50"])
async def test_a_message_that_can_never_be_applied_is_dead_lettered_at_once_and_counted(
    db: Database, odds: str
) -> None:
    wire = to_wire(odds_change("m1", 1))
    wire["markets"][0]["outcomes"][0]["odds"] = odds
    counted_before = _dead_lettered("INVALID_FEED_MESSAGE")
    feed.feed_message.send(wire)

    async with running_worker(feed.QUEUE):
        await asyncio.to_thread(broker.join, feed.QUEUE, timeout=JOIN_TIMEOUT_MS)

    dead = broker.client.zcard(f"stakehouse:{feed.QUEUE}.XQ")
    retrying = broker.client.hlen(f"stakehouse:{feed.QUEUE}.DQ.msgs")
    async with db.uow() as uow:
        events = await uow.session.scalar(select(func.count()).select_from(Event))
    assert (dead, retrying, events) == (1, 0, 0)
    assert _dead_lettered("INVALID_FEED_MESSAGE") == counted_before + 1
