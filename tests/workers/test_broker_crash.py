"""A broker that crashes in the middle of relaying loses nothing: what the relay marked
published is on the broker's disk, and what it could not hand over stays unpublished until
the broker is back. Real redis-server (the embedded one), killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import dramatiq
import psutil
import pytest
import redis
from sqlalchemy import select

from domain.accounts.events import PlayerRegistered
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent, emit
from tests.workers import flushed_broker  # noqa: F401 (fixture)
from web import embedded
from workers.actors import messaging
from workers.broker import REDIS_NAMESPACE, build_broker
from workers.relay import relay_batch


async def _commit_registrations(db: Database, count: int) -> list[int]:
    async with db.transaction() as uow:
        for _ in range(count):
            await emit(
                uow, PlayerRegistered(player_id=str(uuid.uuid4()), locale="en"), brand="aurora"
            )
    return await _outbox_ids(db, published=None)


async def _outbox_ids(db: Database, *, published: bool | None) -> list[int]:
    query = select(OutboxEvent.id).order_by(OutboxEvent.id)
    if published is not None:
        column = OutboxEvent.published_at
        query = query.where(column.is_not(None) if published else column.is_(None))
    async with db.uow() as uow:
        return list(await uow.session.scalars(query))


def _crash(server: embedded.EmbeddedRedis) -> None:
    """SIGKILL the redis-server: no shutdown, no final save, as a crash or an OOM kill."""
    pid = int(Path(server.server.pidfile).read_text().strip())  # type: ignore[attr-defined]
    os.kill(pid, signal.SIGKILL)
    # Gone before the restart, which would otherwise attach to the dying server.
    psutil.Process(pid).wait(timeout=5)


def _queued_event_ids(broker: dramatiq.Broker) -> list[int]:
    encoded = broker.client.hvals(f"{REDIS_NAMESPACE}:{messaging.QUEUE}.msgs")  # type: ignore[attr-defined]
    return sorted(int(dramatiq.Message.decode(data).args[0]) for data in encoded)


def _send_welcomes_to(url: str, monkeypatch: pytest.MonkeyPatch) -> dramatiq.Broker:
    broker = build_broker(url)
    broker.declare_queue(messaging.QUEUE)
    monkeypatch.setattr(messaging.send_welcome, "broker", broker)
    return broker


async def test_a_broker_crash_loses_no_event_the_relay_marked_published(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = embedded.start_redis(tmp_path, "crash")
    _send_welcomes_to(server.url, monkeypatch)
    handed_over = await _commit_registrations(db, 3)
    assert await relay_batch(db, limit=100) == 3

    _crash(server)
    held_back = (await _commit_registrations(db, 2))[-2:]
    with pytest.raises(redis.ConnectionError):
        await relay_batch(db, limit=100)
    # Nothing of the failed batch is marked published: it is still owed.
    assert await _outbox_ids(db, published=False) == held_back

    restarted = embedded.start_redis(tmp_path, "crash")
    try:
        broker = _send_welcomes_to(restarted.url, monkeypatch)
        assert await relay_batch(db, limit=100) == 2

        assert _queued_event_ids(broker) == handed_over + held_back
        assert await _outbox_ids(db, published=False) == []
    finally:
        restarted.stop()
