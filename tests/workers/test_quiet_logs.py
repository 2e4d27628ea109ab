"""The console keeps INFO for what a person needs: the scheduler's routine runs are DEBUG,
and a message that fails and will be retried is one WARNING line without a traceback
(the last failure keeps its ERROR and traceback)."""

from __future__ import annotations

import asyncio
import logging

import dramatiq
import pytest

from domain.kernel.db import Database
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (fixture)
from workers.actors import payments as payment_actors
from workers.broker import setup_broker
from workers.scheduler import Job, run_scheduler

# An existing queue: a queue of its own would be one the workers' autoscaler never saw.
QUEUE = payment_actors.QUEUE
calls: dict[str, int] = {"flaky": 0, "broken": 0}


class TransientError(Exception):
    pass


@dramatiq.actor(
    actor_name="tests.flaky", queue_name=QUEUE, broker=setup_broker(),
    max_retries=3, min_backoff=10, max_backoff=10,
)  # fmt: skip
def flaky() -> None:
    calls["flaky"] += 1
    if calls["flaky"] == 1:
        raise TransientError("waiting for another correction")


@dramatiq.actor(
    actor_name="tests.broken", queue_name=QUEUE, broker=setup_broker(),
    max_retries=1, min_backoff=10, max_backoff=10,
)  # fmt: skip
def broken() -> None:
    calls["broken"] += 1
    raise TransientError("never works")


async def test_routine_scheduler_runs_log_nothing_at_info(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()

    async def run(_: Database) -> int:
        stop.set()
        return 3

    caplog.set_level(logging.INFO)
    await run_scheduler(db, stop, jobs=[Job("tests.job", interval_s=60, run=run)])

    assert [r.getMessage() for r in caplog.records if r.name == "workers.scheduler"] == []


async def test_a_retried_message_is_one_warning_line_and_the_last_failure_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls.update(flaky=0, broken=0)
    caplog.set_level(logging.INFO)
    flaky.send()
    broken.send()

    async def done() -> bool:
        return calls["flaky"] == 2 and calls["broken"] == 2

    async with running_worker(QUEUE):
        await eventually(done, timeout_s=10)
        await asyncio.sleep(0.2)  # the last failure's log line follows the call

    dramatiq_records = [r for r in caplog.records if r.name.startswith("dramatiq")]
    warnings = [r for r in dramatiq_records if r.levelno == logging.WARNING]
    errors = [r for r in dramatiq_records if r.levelno >= logging.ERROR]
    retried = [r for r in warnings if "will be retried" in r.getMessage()]
    assert len(retried) == 2  # flaky's first attempt, broken's first attempt
    assert all("TransientError" in r.getMessage() and r.exc_info is None for r in retried)
    assert not any("Retrying message" in r.getMessage() for r in dramatiq_records)
    # broken's last attempt: nobody retries it, so it keeps the traceback.
    assert [(r.exc_info is not None) for r in errors] == [True]
