"""A settlement run's lanes driven in processes of their own, one per lane, as settlement
workers run them (`sportsbook.settle_lane`, one message per lane): the domain's
`settle_lanes`, or the raw statements of `bench.sportsbook.RawSettlement`.

Each process connects and warms up before the clock starts; the parent then releases them
all at once and takes the wall-clock time from the release to the last lane's end.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any

START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Lane:
    mode: str  # "domain" or "raw"
    url: str
    run_id: str
    lane: int
    loop: str


def drive_lanes(mode: str, url: str, run_id: uuid.UUID, lanes: list[int], loop: str) -> float:
    """Seconds (wall clock) from releasing one process per lane to the end of the last."""
    context = multiprocessing.get_context("spawn")
    ready = [context.Event() for _ in lanes]
    go = context.Event()
    ends = context.Queue()
    processes = [
        context.Process(
            target=_lane_main,
            args=(Lane(mode, url, str(run_id), lane, loop), ready[index], go, ends),
        )
        for index, lane in enumerate(lanes)
    ]
    for process in processes:
        process.start()
    try:
        for event in ready:
            if not event.wait(START_TIMEOUT_S):
                raise RuntimeError("a lane process did not start")
        released = time.time()
        go.set()
        results = [ends.get(timeout=START_TIMEOUT_S * 10) for _ in lanes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    failures = [result for result in results if isinstance(result, str)]
    if failures:
        raise RuntimeError(f"a lane failed: {failures[0]}")
    return float(max(results)) - released


def _lane_main(lane: Lane, ready: Event, go: Event, ends: Any) -> None:
    from bench.ledger_debit import run  # noqa: PLC0415

    try:
        ends.put(run(_drive(lane, ready, go), lane.loop))
    except BaseException as error:  # reported to the parent, which raises
        ends.put(f"lane {lane.lane}: {error!r}")


async def _drive(lane: Lane, ready: Event, go: Event) -> float:
    """Settle the lane once released; returns the wall-clock time it ended (before the
    connections close)."""
    import asyncio  # noqa: PLC0415

    import asyncpg  # noqa: PLC0415

    from bench.sportsbook import RawSettlement  # noqa: PLC0415
    from domain.kernel.db import Database, plain_url  # noqa: PLC0415
    from domain.sportsbook import settlement  # noqa: PLC0415
    from domain.sportsbook.runs import CHUNK_SIZE  # noqa: PLC0415

    run_id = uuid.UUID(lane.run_id)
    db = Database.connect(lane.url, pool_size=1)
    pool = await asyncpg.create_pool(plain_url(lane.url), min_size=1, max_size=1)
    try:
        async with db.uow() as uow:  # connect and load the modules before the clock starts
            await uow.session.connection()
        ready.set()
        await asyncio.to_thread(go.wait)
        if lane.mode == "domain":
            summary = await settlement.settle_lanes(db, run_id=run_id, lanes=[lane.lane])
            if summary.unfinished_lanes:
                raise RuntimeError("the lane stopped early")
        else:
            await RawSettlement().settle_lane(pool, run_id, lane.lane, CHUNK_SIZE)
        return time.time()
    finally:
        await pool.close()
        await db.dispose()
