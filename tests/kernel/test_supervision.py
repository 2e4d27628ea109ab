"""`supervise`: a long-lived task outlives any failure of its body, says so in metrics and
logs once per outage, and still stops when cancelled or asked to."""

from __future__ import annotations

import asyncio
import logging
import uuid

import asyncpg
import pytest
from prometheus_client import REGISTRY

from domain.kernel.supervision import TaskHealth, supervise


def _sample(metric: str, task: str) -> float | None:
    return REGISTRY.get_sample_value(metric, {"task": task})


def _health() -> TaskHealth:
    # A unique name per test (the metrics are process-wide); tiny delays keep tests quick.
    return TaskHealth(f"test-{uuid.uuid4().hex[:8]}", delay_min_s=0.001, delay_max_s=0.002)


async def test_a_task_is_restarted_after_any_exception_and_reports_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="domain.kernel.supervision")
    health = _health()
    # What asyncpg raises on a connection killed mid-operation is no ConnectionError.
    failures: list[Exception] = [
        asyncpg.InternalClientError("cannot switch to state 11"),
        RuntimeError("a bug"),
        OSError("connection refused"),
    ]
    up_while_failing: list[float | None] = []

    async def body(task: TaskHealth) -> None:
        up_while_failing.append(_sample("stakehouse_background_task_up", health.name))
        if failures:
            raise failures.pop(0)
        task.mark_up()

    await asyncio.wait_for(supervise(health, body), 5)

    assert health.up
    assert health.restarts == 3
    assert _sample("stakehouse_background_task_restarts_total", health.name) == 3
    assert _sample("stakehouse_background_task_up", health.name) == 1
    # Up until the first failure, down while it recovers.
    assert up_while_failing == [1, 0, 0, 0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.task for r in warnings] == [health.name]  # type: ignore[attr-defined]
    assert any("recovered after 3 failed attempts" in r.getMessage() for r in caplog.records)


async def test_cancelling_a_supervised_task_stops_it() -> None:
    health = _health()
    started = asyncio.Event()

    async def body(task: TaskHealth) -> None:
        started.set()
        await asyncio.Event().wait()

    running = asyncio.create_task(supervise(health, body))
    await asyncio.wait_for(started.wait(), 5)
    running.cancel()

    with pytest.raises(asyncio.CancelledError):
        await running
    assert health.restarts == 0


async def test_stop_ends_a_failing_task_during_its_backoff() -> None:
    health = TaskHealth(f"test-{uuid.uuid4().hex[:8]}", delay_min_s=60, delay_max_s=60)
    stop = asyncio.Event()

    async def body(task: TaskHealth) -> None:
        stop.set()
        raise RuntimeError("down")

    await asyncio.wait_for(supervise(health, body, stop=stop), 5)

    assert health.restarts == 1
    assert not health.up


def test_the_backoff_doubles_and_is_capped() -> None:
    health = TaskHealth("test-backoff", delay_min_s=0.1, delay_max_s=0.5)
    delays = []
    for _ in range(5):
        health.mark_down(RuntimeError("down"))
        delays.append(health.retry_delay_s())
    health.mark_up()

    assert delays == [0.1, 0.2, 0.4, 0.5, 0.5]
    assert health.retry_delay_s() == 0.1
