"""Per-actor metrics and queue groups, as Prometheus and Kubernetes meet them: figures from
a real worker, and `stakehouse worker --group` consuming only its group's queues while
serving the metrics its liveness probe reads."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.support import create_player
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from tests.workers.test_welcome import inbox_of
from workers.actors import feed, messaging
from workers.groups import QUEUE_GROUPS
from workers.relay import relay_batch

WORKER_START_TIMEOUT_S = 60.0


def handled(actor: str, queue: str) -> float:
    labels = {"queue": queue, "actor": actor}
    return REGISTRY.get_sample_value("stakehouse_actor_duration_seconds_count", labels) or 0.0


async def test_a_worker_times_each_message_by_actor(db: Database, registry: BrandRegistry) -> None:
    before = handled("messaging.send_welcome", messaging.QUEUE)
    player_id = await create_player(db, registry)
    assert await relay_batch(db, limit=100) == 1

    async def delivered() -> bool:
        return bool(await inbox_of(db, player_id))

    async with running_worker(messaging.QUEUE):
        await eventually(delivered)
        await eventually(lambda: _true(handled("messaging.send_welcome", messaging.QUEUE) > before))

    assert handled("messaging.send_welcome", messaging.QUEUE) == before + 1


async def _true(value: bool) -> bool:
    return value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def messaging_worker(database_url: str, broker_url: str) -> Iterator[str]:
    """`stakehouse worker --group messaging` as Kubernetes runs it; yields its metrics URL."""
    port = _free_port()
    env = {
        **os.environ,
        "STAKEHOUSE_DATABASE_URL": database_url,
        "STAKEHOUSE_BROKER_URL": broker_url,
    }
    command = [sys.executable, "-m", "web.cli", "worker", "--group", "messaging"]
    command += ["--processes", "1", "--threads", "2", "--metrics-port", str(port)]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _metrics(url: str) -> str | None:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            response = await client.get(url)
    except httpx.TransportError:
        return None
    return response.text if response.status_code == 200 else None


async def test_a_group_worker_consumes_its_queues_only_and_serves_its_metrics(
    db: Database, registry: BrandRegistry, messaging_worker: str
) -> None:
    player_id = await create_player(db, registry)
    assert await relay_batch(db, limit=100) == 1
    # A message for another group's queue: this worker must leave it alone.
    feed.feed_message.send({"kind": "alive", "producer": "p", "message_id": "m1"})

    async def delivered() -> bool:
        return bool(await inbox_of(db, player_id))

    await eventually(delivered, timeout_s=WORKER_START_TIMEOUT_S)
    text = ""

    async def counted() -> bool:
        nonlocal text
        text = await _metrics(messaging_worker) or ""
        return 'actor="messaging.send_welcome"' in text

    await eventually(counted, timeout_s=10)
    assert (
        'stakehouse_actor_duration_seconds_count{actor="messaging.send_welcome",'
        'queue="messaging"} 1.0'
    ) in text
    await asyncio.sleep(0.5)
    assert len(queued_messages(feed.QUEUE)) == 1


def test_an_unknown_group_is_refused_naming_the_groups() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "worker", "--group", "nope"],
        env={**os.environ, "STAKEHOUSE_DATABASE_URL": "postgresql://x/y",
             "STAKEHOUSE_BROKER_URL": "redis://127.0.0.1:1/0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert "unknown queue group 'nope'" in result.stderr
    for group in QUEUE_GROUPS:
        assert group in result.stderr
