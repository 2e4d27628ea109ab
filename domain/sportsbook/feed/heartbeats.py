"""Feed producer heartbeats. A producer sends `alive` every few seconds; when none has come
for the configured timeout (`STAKEHOUSE_FEED_HEARTBEAT_TIMEOUT_SECONDS`), its prices may be
stale, so every active market it prices is suspended (reason HEARTBEAT) until it is back.
Recovery (the next `alive`) resumes exactly those markets: one a trader or the feed itself
suspended meanwhile keeps its own reason and stays suspended.

The scheduler's `sportsbook.check_feed_heartbeats` job detects the silence; an `alive` with
`subscribed = false` (the producer lost its state) counts as silence at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit
from domain.sportsbook.feed.events import EventUpdated
from domain.sportsbook.models import (
    Event,
    FeedProducer,
    Market,
    MarketStatus,
    SuspensionReason,
)

# One check handles at most this many silent producers (a feed has a handful).
PRODUCERS_PER_CHECK_MAX = 100


async def record_alive(
    uow: UnitOfWork, producer: str, *, now: datetime, subscribed: bool = True
) -> list[int]:
    """Note the heartbeat; if the producer was down, resume the markets its silence
    suspended. Returns the resumed market ids."""
    await uow.session.execute(
        insert(FeedProducer)
        .values(producer=producer, last_alive_at=now)
        .on_conflict_do_nothing(index_elements=["producer"])
    )
    row = await uow.session.scalar(
        select(FeedProducer).where(FeedProducer.producer == producer).with_for_update()
    )
    assert row is not None
    row.last_alive_at = max(row.last_alive_at, now)
    if not subscribed:
        await _suspend_producer(uow, row, now)
        return []
    if row.down_since is None:
        return []
    row.down_since = None
    resumed = await uow.session.execute(
        update(Market)
        .where(
            Market.feed_producer == producer,
            Market.status == MarketStatus.SUSPENDED.value,
            Market.suspended_by == SuspensionReason.HEARTBEAT.value,
        )
        .values(status=MarketStatus.ACTIVE.value, suspended_by=None)
        .returning(Market.id, Market.event_id)
    )
    rows = resumed.all()
    await emit_market_updates(uow, rows, MarketStatus.ACTIVE)
    return sorted(market_id for market_id, _ in rows)


async def suspend_silent_producers(uow: UnitOfWork, *, now: datetime, timeout_s: float) -> int:
    """Suspend the markets of every producer silent for longer than `timeout_s`. Returns
    how many markets it suspended."""
    silent = await uow.session.scalars(
        select(FeedProducer)
        .where(
            FeedProducer.down_since.is_(None),
            FeedProducer.last_alive_at < now - timedelta(seconds=timeout_s),
        )
        .order_by(FeedProducer.producer)
        .limit(PRODUCERS_PER_CHECK_MAX)
        .with_for_update(skip_locked=True)
    )
    suspended = 0
    for producer in list(silent):
        suspended += await _suspend_producer(uow, producer, now)
    return suspended


async def _suspend_producer(uow: UnitOfWork, producer: FeedProducer, now: datetime) -> int:
    producer.down_since = producer.down_since or now
    result = await uow.session.execute(
        update(Market)
        .where(
            Market.feed_producer == producer.producer,
            Market.status == MarketStatus.ACTIVE.value,
        )
        .values(status=MarketStatus.SUSPENDED.value, suspended_by=SuspensionReason.HEARTBEAT.value)
        .returning(Market.id, Market.event_id)
    )
    rows = result.all()
    await emit_market_updates(uow, rows, MarketStatus.SUSPENDED)
    await uow.flush()
    return len(rows)


async def emit_market_updates(
    uow: UnitOfWork, rows: Sequence[tuple[int, int]], status: MarketStatus
) -> None:
    by_event: dict[int, list[int]] = {}
    for market_id, event_id in rows:
        by_event.setdefault(event_id, []).append(market_id)
    if not by_event:
        return
    events = await uow.session.execute(
        select(Event.id, Event.status, Event.score).where(Event.id.in_(by_event))
    )
    for event_id, event_status, score in events:
        await emit(
            uow,
            EventUpdated(
                event_id=event_id,
                status=event_status,
                score=score,
                markets=[
                    {"market_id": m, "status": status.value} for m in sorted(by_event[event_id])
                ],
            ),
            brand=None,
        )
