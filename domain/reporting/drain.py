"""The reporting drain: relay batches that arrive close together are applied together.

The relay wakes on every commit, so under a steady trickle of bets each of its batches
holds one or two events, and applying each in a transaction of its own costs the same
handful of statements as a batch of hundreds (the facts, the claims, one upsert per
table). The drain holds a batch for a short window (WINDOW_S, or until EVENTS_MAX events
or SUBMITTERS_MAX batches wait: a full window gains nothing) and applies everything that
arrived meanwhile in one transaction, each cell written once. One flush runs at a time;
batches that arrive during it wait for the next (group commit): the busier it is, the
bigger the batches and the cheaper each event.

Every submitter learns its own outcome: a failed flush is retried one submitted batch per
transaction, so one bad batch fails only its own message (Dramatiq retries it) and never
holds back the others. Every source is claimed with its figures (service.apply_events),
so a batch retried after its figures committed still counts once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from domain.kernel.db import Database
from domain.reporting import service

log = logging.getLogger(__name__)

Event = tuple[str, str | None, Mapping[str, Any]]

# How long the first batch of a window waits for others: the figures lag by at most this
# (dashboards refresh every 5 s), and under a trickle a window holds ~50 ms of bets.
WINDOW_S: Final = 0.05
# A window ends early once this many events wait: statements are bounded per flush
# anyway (APPLY_BATCH_MAX a round), and waiting longer only adds lag.
EVENTS_MAX: Final = 2_000
# ... or once this many batches wait: the worker's threads (one message each) are then
# all parked here, so nothing more can arrive before the window ends.
SUBMITTERS_MAX: Final = 8


@dataclass
class _Submitted:
    events: Sequence[Event]
    done: asyncio.Future[None]


@dataclass
class Drain:
    """Coalesces concurrent `submit` calls on one event loop into one transaction per
    window. `database` gives the loop's Database (asyncpg connections belong to a loop)."""

    database: Callable[[], Database]
    window_s: float = WINDOW_S
    events_max: int = EVENTS_MAX
    submitters_max: int = SUBMITTERS_MAX
    flushes: int = 0
    _waiting: list[_Submitted] = field(default_factory=list)
    _waiting_events: int = 0
    _full: asyncio.Event = field(default_factory=asyncio.Event)
    _flusher: asyncio.Task[None] | None = None

    async def submit(self, events: Sequence[Event]) -> None:
        """Apply `events` with whatever else arrives within the window, in one
        transaction. Raises what applying these events alone raised."""
        submitted = _Submitted(events, asyncio.get_running_loop().create_future())
        self._waiting.append(submitted)
        self._waiting_events += len(events)
        if self._waiting_events >= self.events_max or len(self._waiting) >= self.submitters_max:
            self._full.set()
        if self._flusher is None or self._flusher.done():
            # A task of its own, not the first caller's coroutine: a caller that is
            # cancelled (a time limit, a shutdown) never strands the others.
            self._flusher = asyncio.get_running_loop().create_task(self._flush_while_waiting())
        await asyncio.shield(submitted.done)

    async def _flush_while_waiting(self) -> None:
        while self._waiting:
            if not self._full.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.window_s)
            taken, self._waiting, self._waiting_events = self._waiting, [], 0
            self._full.clear()
            await self._flush(taken)

    async def _flush(self, taken: list[_Submitted]) -> None:
        self.flushes += 1
        try:
            await self._apply([event for item in taken for event in item.events])
        except Exception as error:
            if len(taken) == 1:
                _settle(taken[0], error)
                return
            log.warning("reporting drain: a flush failed; applying its batches one by one")
            for item in taken:
                await self._flush_alone(item)
            return
        for item in taken:
            _settle(item, None)

    async def _flush_alone(self, item: _Submitted) -> None:
        try:
            await self._apply(item.events)
        except Exception as error:
            _settle(item, error)
            return
        _settle(item, None)

    async def _apply(self, events: Sequence[Event]) -> None:
        async with self.database().transaction() as uow:
            await service.apply_events(uow, events)


def _settle(item: _Submitted, error: Exception | None) -> None:
    if item.done.done():
        return
    if error is None:
        item.done.set_result(None)
    else:
        item.done.set_exception(error)
