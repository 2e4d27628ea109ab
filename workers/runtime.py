"""What actors need at run time: a database per event loop and the brand registry.

Dramatiq's AsyncIO middleware runs async actors on an event loop thread of its own, and
asyncpg connections belong to the loop that opened them. So an actor never reuses an
engine made on another loop (the API's, a test's): `database()` makes one lazily per
running loop, and DatabaseLifecycle disposes it when the worker shuts down.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from typing import Final

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import ENV_PREFIX, ConfigurationError, get_settings

# `stakehouse worker --threads N` passes N on to its Dramatiq processes here: what waits
# for the worker's other messages must know how many can be running at once.
WORKER_THREADS_ENV: Final = "STAKEHOUSE_WORKER_THREADS"
WORKER_THREADS_DEFAULT: Final = 8


def worker_threads() -> int:
    """How many messages this worker process runs at once (its threads)."""
    return max(int(os.environ.get(WORKER_THREADS_ENV) or WORKER_THREADS_DEFAULT), 1)


# A handful of loops per process at most (the worker's, maybe a CLI's); entries leave
# when their loop's worker shuts down.
_databases: dict[asyncio.AbstractEventLoop, Database] = {}
# Loops live on different threads; the lock keeps two of them from racing on the dict.
_databases_lock = threading.Lock()


def database() -> Database:
    """The Database of the running event loop, connected on first use."""
    loop = asyncio.get_running_loop()
    with _databases_lock:
        found = _databases.get(loop)
        if found is None:
            found = _databases[loop] = _connect()
    return found


def _connect() -> Database:
    settings = get_settings()
    if settings.database_url is None:
        raise ConfigurationError(f"{ENV_PREFIX}DATABASE_URL: must be set for workers")
    return Database.connect(settings.database_url, pool_size=settings.database_pool_size)


async def dispose_database() -> None:
    """Close the running loop's connections (if it ever opened any)."""
    with _databases_lock:
        found = _databases.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.dispose()


@functools.cache
def brands() -> BrandRegistry:
    """The brands of this deployment, read once: themes ship with the image."""
    return BrandRegistry.load(get_settings().themes_dir)


class DatabaseLifecycle(Middleware):
    """Disposes the worker loop's engine at shutdown, before AsyncIO stops that loop."""

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is not None and loop_thread.loop.is_running():
            loop_thread.run_coroutine(dispose_database())
