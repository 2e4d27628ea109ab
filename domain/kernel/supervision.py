"""Long-lived background tasks that survive any failure of what they depend on.

The event hub's LISTEN connection, the outbox relay, the scheduler's jobs: each runs for
the life of its process, and a database or broker restart, a killed backend or a bug in
one iteration must never stop it for good. So every such loop runs under `supervise`,
which restarts its body after any exception (cancellation excepted) with a bounded
exponential backoff, and reports through one TaskHealth:

- `stakehouse_background_task_up{task}`: 1 while the task works, 0 while it recovers;
- `stakehouse_background_task_restarts_total{task}`: failures it recovered from;
- one warning with the traceback when a task goes down, one info line when it is back
  (not one line per retry: a database that is away for a minute would flood the log).

Readiness probes read `TaskHealth.up` of the tasks a process cannot serve without.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

RESTART_DELAY_MIN_S: Final = 0.1
RESTART_DELAY_MAX_S: Final = 5.0

BACKGROUND_TASK_RESTARTS: Final = Counter(
    "stakehouse_background_task_restarts",
    "Failures a long-lived background task recovered from (by restarting), by task.",
    ("task",),
)
# livemin: with several processes, a task is up only if it is up in every live one.
BACKGROUND_TASK_UP: Final = Gauge(
    "stakehouse_background_task_up",
    "1 while a long-lived background task works, 0 while it recovers from a failure.",
    ("task",),
    multiprocess_mode="livemin",
)


class TaskHealth:
    """Whether one long-lived task works now, with its metrics and its log lines."""

    def __init__(
        self,
        name: str,
        *,
        delay_min_s: float = RESTART_DELAY_MIN_S,
        delay_max_s: float = RESTART_DELAY_MAX_S,
    ) -> None:
        assert 0 < delay_min_s <= delay_max_s
        self.name = name
        self.restarts = 0
        # Up until it fails: "down" means recovering from a failure, and a task that has
        # not failed yet must not hold a fresh replica out of its load balancer.
        self._up = True
        self._failures_in_a_row = 0
        self._delay_min_s = delay_min_s
        self._delay_max_s = delay_max_s
        self._up_gauge = BACKGROUND_TASK_UP.labels(task=name)
        self._restart_counter = BACKGROUND_TASK_RESTARTS.labels(task=name)
        self._up_gauge.set(1)

    @property
    def up(self) -> bool:
        return self._up

    def mark_up(self) -> None:
        """The task works (connected, or an iteration succeeded)."""
        if self._failures_in_a_row:
            log.info(
                "background task %s recovered after %d failed attempts",
                self.name,
                self._failures_in_a_row,
                extra={"task": self.name},
            )
        self._failures_in_a_row = 0
        self._up = True
        self._up_gauge.set(1)

    def mark_down(self, error: BaseException) -> None:
        """The task failed with `error` and will try again."""
        self.restarts += 1
        self._restart_counter.inc()
        if self._failures_in_a_row == 0:
            log.warning(
                "background task %s failed; restarting until it recovers",
                self.name,
                exc_info=error,
                extra={"task": self.name},
            )
        else:
            log.debug("background task %s failed again: %r", self.name, error)
        self._failures_in_a_row += 1
        self._up = False
        self._up_gauge.set(0)

    def retry_delay_s(self) -> float:
        """How long to wait before the next attempt: doubles with each failure in a row."""
        exponent = min(max(self._failures_in_a_row - 1, 0), 16)
        return float(min(self._delay_min_s * 2**exponent, self._delay_max_s))


async def supervise(
    health: TaskHealth,
    body: Callable[[TaskHealth], Awaitable[None]],
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Run `body(health)` until it returns or `stop` is set; after any exception, mark
    the task down, wait the backoff and run it again. `body` calls `health.mark_up()` once
    it works. Cancellation is never swallowed."""
    while stop is None or not stop.is_set():
        try:
            await body(health)
        except Exception as error:  # any failure at all: the task must outlive it
            health.mark_down(error)
        else:
            return
        await _sleep_unless_stopped(stop, health.retry_delay_s())


async def _sleep_unless_stopped(stop: asyncio.Event | None, delay_s: float) -> None:
    if stop is None:
        await asyncio.sleep(delay_s)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay_s)
