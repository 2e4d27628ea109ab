"""Reporting actors: keep the read model from committed events, after their commit, so
the stake's own transaction carries no reporting statement."""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import dramatiq

from domain.reporting import service
from domain.reporting.drain import Drain
from workers.broker import setup_broker
from workers.runtime import database, worker_threads

# Its own queue: a burst of bets never delays payouts or settlement, and KEDA can scale
# reporting workers on this queue's length alone.
QUEUE = "reporting"


# One drain per event loop (the worker's; a test's): its waiting batches and its flush
# belong to that loop.
_drains: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Drain] = weakref.WeakKeyDictionary()
_drains_lock = threading.Lock()


def drain() -> Drain:
    """The running loop's reporting drain."""
    loop = asyncio.get_running_loop()
    with _drains_lock:
        found = _drains.get(loop)
        if found is None:
            # A window ends once every thread's message waits in it: no other can arrive,
            # and with fewer threads than that a window would always wait its full time.
            found = _drains[loop] = Drain(database, submitters_max=worker_threads())
    return found


async def _apply(topic: str, brand: str | None, payload: dict[str, Any]) -> None:
    async with database().uow() as uow:
        await service.apply_event(uow, topic, brand, payload)
        await uow.commit()


@dramatiq.actor(actor_name="reporting.apply_batch", queue_name=QUEUE, broker=setup_broker())
async def apply_batch(events: list[list[Any]]) -> None:
    """Add a relay batch of committed events, `[event_id, topic, brand, payload]` each,
    to the read model through the drain: with the other batches that reach this worker
    within its window, in one transaction, each cell's increments summed into one
    upsert. Every source is claimed with the figures it adds, so a redelivered batch (or
    one overlapping another) counts once."""
    await drain().submit([(str(topic), brand, payload) for _, topic, brand, payload in events])


@dramatiq.actor(actor_name="reporting.apply_transaction", queue_name=QUEUE, broker=setup_broker())
async def apply_transaction(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
    """(Kept for messages queued before `apply_batch` took over the route.) Add a
    committed ledger transaction (`wallets.balance_changed`) to the read model,
    once however often it arrives (its id is claimed with the figures it adds)."""
    await _apply(service.BALANCE_CHANGED, brand, payload)


@dramatiq.actor(actor_name="reporting.apply_registration", queue_name=QUEUE, broker=setup_broker())
async def apply_registration(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
    """(Kept for messages queued before `apply_batch` took over the route.) Count a
    registration (`accounts.player_registered`) once."""
    await _apply(service.PLAYER_REGISTERED, brand, payload)
