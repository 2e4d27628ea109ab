"""The scheduler's loop: a failing job is retried soon (not a whole interval later), never
holds the other jobs back, and is reported by the background-task metrics."""

from __future__ import annotations

import asyncio

import asyncpg
from prometheus_client import REGISTRY

from domain.kernel.db import Database
from tests.workers import eventually
from workers.scheduler import Job, run_scheduler

HOUR_S = 3600.0


async def test_a_failing_job_is_retried_with_backoff_and_the_others_still_run(
    db: Database,
) -> None:
    calls = {"flaky": 0, "steady": 0}

    async def flaky(_db: Database) -> int:
        calls["flaky"] += 1
        if calls["flaky"] <= 2:
            # What a killed connection raises mid-statement: no ConnectionError.
            raise asyncpg.InternalClientError("cannot switch to state 11")
        return 1

    async def steady(_db: Database) -> int:
        calls["steady"] += 1
        return 0

    jobs = (Job("tests.flaky", HOUR_S, flaky), Job("tests.steady", HOUR_S, steady))
    stop = asyncio.Event()
    scheduler = asyncio.create_task(run_scheduler(db, stop, jobs=jobs))

    async def flaky_succeeded() -> bool:
        return calls["flaky"] == 3

    try:
        await eventually(flaky_succeeded)
    finally:
        stop.set()
        await asyncio.wait_for(scheduler, 5)

    assert calls == {"flaky": 3, "steady": 1}
    labels = {"task": "tests.flaky"}
    assert REGISTRY.get_sample_value("stakehouse_background_task_restarts_total", labels) == 2
    assert REGISTRY.get_sample_value("stakehouse_background_task_up", labels) == 1
