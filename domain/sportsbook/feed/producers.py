"""Per-producer sequencing and recovery, for producers that deliver over HTTP (web/feed.py).

A producer numbers every message it sends (but `alive`) 1, 2, 3, … (`producer_sequence`);
we keep the last one applied (`sportsbook_feed_producers.applied_sequence`). A message
applies only when it is the next one:

- at or below the last applied: already applied (a retry), nothing to do;
- the next one: applied (domain.sportsbook.feed.processing), the sequence moves on;
- further on: a gap, messages were lost. The message is not applied, the producer enters
  recovery and every market it prices is suspended (SuspensionReason.RECOVERY), since its
  prices and results may be missing something. The producer re-sends from the last applied
  sequence + 1 (`recovery_point` tells it which), then sends `snapshot_complete`; that
  message, applied in sequence like any other, resumes the markets. Until then the feed's
  own `active` statuses cannot lift the hold, and markets the producer opens are held too.

The producer's row is locked first, so one producer's messages apply one at a time in
sequence order whatever the number of API replicas. The broker path (in-cluster
producers, workers/actors/feed.py) does not number messages and never comes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert

from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.sportsbook.feed.heartbeats import emit_market_updates
from domain.sportsbook.feed.port import Alive, FeedMessage, SnapshotComplete
from domain.sportsbook.feed.processing import Applied, process_message
from domain.sportsbook.models import FeedProducer, Market, MarketStatus, SuspensionReason


class Receipt(StrEnum):
    """What became of one message (the HTTP answer lists one per message)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # applied before (same sequence or message id): no effect
    STALE = "stale"  # in sequence, but older than what its event or market shows
    UNKNOWN_EVENT = "unknown_event"  # in sequence, about an event without a fixture
    GAP = "gap"  # sequence jumped: not applied, the producer must recover


_RECEIPTS = {
    Applied.APPLIED: Receipt.APPLIED,
    Applied.DUPLICATE: Receipt.DUPLICATE,
    Applied.STALE: Receipt.STALE,
    Applied.UNKNOWN_EVENT: Receipt.UNKNOWN_EVENT,
}


@dataclass(frozen=True)
class ProducerState:
    producer: str
    applied_sequence: int
    recovering: bool

    @property
    def resend_from(self) -> int:
        return self.applied_sequence + 1


async def receive(
    uow: UnitOfWork, message: FeedMessage, producer_sequence: int | None, *, now: datetime
) -> tuple[Receipt, ProducerState]:
    """Apply `message` if it is the producer's next (see the module docstring); `alive`
    carries no sequence and applies at once. Flushes, never commits: the caller commits
    a GAP too (the recovery it starts must hold)."""
    row = await _producer(uow, message.producer, now)
    if isinstance(message, Alive):
        receipt = _RECEIPTS[await process_message(uow, message)]
        return receipt, _state(row)
    assert producer_sequence is not None, "every message but alive is numbered"
    if producer_sequence <= row.applied_sequence:
        return Receipt.DUPLICATE, _state(row)
    if producer_sequence > row.applied_sequence + 1:
        await _start_recovery(uow, row, now)
        return Receipt.GAP, _state(row)
    receipt = _RECEIPTS[await process_message(uow, message)]
    row.applied_sequence = producer_sequence
    if row.recovering_since is not None:
        if isinstance(message, SnapshotComplete):
            await _complete_recovery(uow, row)
        else:
            await _hold(uow, row.producer)
    await uow.flush()
    return receipt, _state(row)


@dataclass(frozen=True)
class BatchReceipt:
    # One per message, in order; None: not attempted (after a gap).
    receipts: list[Receipt | None]
    state: ProducerState

    @property
    def gap(self) -> bool:
        return Receipt.GAP in self.receipts


async def receive_batch(
    db: Database, messages: Sequence[tuple[FeedMessage, int | None]]
) -> BatchReceipt:
    """A flow: each (message, producer sequence) in order, each in its own transaction
    (a retry of the batch finds the ones applied and skips them), stopping at a gap."""
    assert messages, "a batch has at least one message"
    receipts: list[Receipt | None] = []
    state: ProducerState | None = None
    for message, producer_sequence in messages:
        if Receipt.GAP in receipts:
            receipts.append(None)
            continue
        async with db.uow() as uow:
            receipt, state = await receive(uow, message, producer_sequence, now=clock.now())
            await uow.commit()
        receipts.append(receipt)
    assert state is not None
    return BatchReceipt(receipts, state)


async def recovery_point(uow: UnitOfWork, producer: str, *, now: datetime) -> ProducerState:
    """A producer asks where to resume (after a restart, or a GAP answer): its markets are
    held from now until its snapshot_complete, and it re-sends from `resend_from`."""
    row = await _producer(uow, producer, now)
    await _start_recovery(uow, row, now)
    await uow.flush()
    return _state(row)


async def producer_state(uow: UnitOfWork, producer: str) -> ProducerState | None:
    row = await uow.session.get(FeedProducer, producer)
    return _state(row) if row is not None else None


def _state(row: FeedProducer) -> ProducerState:
    return ProducerState(row.producer, row.applied_sequence, row.recovering_since is not None)


async def _producer(uow: UnitOfWork, producer: str, now: datetime) -> FeedProducer:
    """The producer's row FOR UPDATE (its messages apply one at a time), created on its
    first message: a message is a sign of life until heartbeats say otherwise."""
    await uow.session.execute(
        insert(FeedProducer)
        .values(producer=producer, last_alive_at=now)
        .on_conflict_do_nothing(index_elements=["producer"])
    )
    row = await uow.session.scalar(
        select(FeedProducer)
        .where(FeedProducer.producer == producer)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def _start_recovery(uow: UnitOfWork, row: FeedProducer, now: datetime) -> None:
    row.recovering_since = row.recovering_since or now
    # A heartbeat's suspension becomes the recovery's: the next alive must not lift it.
    await _hold(uow, row.producer, heartbeat_held=True)


async def _hold(uow: UnitOfWork, producer: str, *, heartbeat_held: bool = False) -> None:
    """Suspend the producer's active markets (and, with `heartbeat_held`, those its
    silence suspended) for the recovery."""
    condition = Market.status == MarketStatus.ACTIVE.value
    if heartbeat_held:
        condition = or_(
            condition,
            (Market.status == MarketStatus.SUSPENDED.value)
            & (Market.suspended_by == SuspensionReason.HEARTBEAT.value),
        )
    result = await uow.session.execute(
        update(Market)
        .where(Market.feed_producer == producer, condition)
        .values(status=MarketStatus.SUSPENDED.value, suspended_by=SuspensionReason.RECOVERY.value)
        .returning(Market.id, Market.event_id)
        .execution_options(synchronize_session=False)
    )
    await emit_market_updates(uow, result.all(), MarketStatus.SUSPENDED)


async def _complete_recovery(uow: UnitOfWork, row: FeedProducer) -> None:
    """Resume the markets the recovery held; a producer that is meanwhile silent has them
    held by its heartbeat instead (the next alive resumes them)."""
    row.recovering_since = None
    down = row.down_since is not None
    values = (
        {"status": MarketStatus.SUSPENDED.value, "suspended_by": SuspensionReason.HEARTBEAT.value}
        if down
        else {"status": MarketStatus.ACTIVE.value, "suspended_by": None}
    )
    result = await uow.session.execute(
        update(Market)
        .where(
            Market.feed_producer == row.producer,
            Market.status == MarketStatus.SUSPENDED.value,
            Market.suspended_by == SuspensionReason.RECOVERY.value,
        )
        .values(**values)
        .returning(Market.id, Market.event_id)
        .execution_options(synchronize_session=False)
    )
    await emit_market_updates(
        uow, result.all(), MarketStatus.SUSPENDED if down else MarketStatus.ACTIVE
    )


class ProducerHealth(StrEnum):
    """What the feed producer gauge reports per producer."""

    UP = "up"
    SUSPENDED = "suspended"  # heartbeats stopped: its markets are suspended
    RECOVERING = "recovering"  # a sequence gap: held until its snapshot completes


async def producer_health(uow: UnitOfWork) -> dict[str, ProducerHealth]:
    """Every known producer's state (a handful: the feeds this operator buys)."""
    rows = await uow.session.execute(
        select(FeedProducer.producer, FeedProducer.down_since, FeedProducer.recovering_since)
        .order_by(FeedProducer.producer)
        .limit(PRODUCERS_REPORTED_MAX)
    )
    return {
        row.producer: (
            ProducerHealth.SUSPENDED
            if row.down_since is not None
            else ProducerHealth.RECOVERING
            if row.recovering_since is not None
            else ProducerHealth.UP
        )
        for row in rows
    }


# A bound on the gauge's series; an operator has a few producers.
PRODUCERS_REPORTED_MAX = 100
