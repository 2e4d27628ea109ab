"""Bonus actors: thin wrappers that call the domain (expiry sweep, weekly cashback, the
forfeit of a self-excluded or closed player's bonuses)."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import dramatiq

from domain.bonuses import cashback, lifecycle
from domain.bonuses.errors import InvalidTerms
from domain.kernel import clock
from workers.broker import setup_broker
from workers.runtime import database

log = logging.getLogger(__name__)

QUEUE = "bonuses"


@dramatiq.actor(actor_name="bonuses.expire_grants", queue_name=QUEUE, broker=setup_broker())
async def expire_grants() -> None:
    """End every grant past its wagering window (bonus money forfeited, cash untouched)."""
    ended = await lifecycle.expire_due_batches(database())
    log.info("%s bonus grants expired", ended)


@dramatiq.actor(
    actor_name="bonuses.pay_cashback",
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(InvalidTerms,),
)
async def pay_cashback(period: str | None = None) -> None:
    """Pay every active cashback offer for `period` (an ISO week; default: last week),
    once per player and period however often it runs."""
    chosen = cashback.Period.parse(period) if period else last_week()
    async with database().uow() as uow:
        runs = await cashback.pay_all_cashback(uow, chosen)
        await uow.commit()
    for run in runs:
        log.info(
            "cashback %s %s: %s players, %s minor units",
            run.offer_id, run.period, run.players_paid, run.paid_minor,
        )  # fmt: skip


def last_week() -> cashback.Period:
    return cashback.Period.of(clock.today() - timedelta(days=7))


@dramatiq.actor(actor_name=lifecycle.EXCLUSION_CONSUMER, queue_name=QUEUE, broker=setup_broker())
async def forfeit_on_status(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """accounts.player_status_changed: a self-excluded or closed player forfeits every
    active bonus, once per event."""
    async with database().uow() as uow:
        ended = await lifecycle.forfeit_on_status(
            uow,
            event_id=event_id,
            brand=brand,
            player_id=uuid.UUID(str(payload["player_id"])),
            status=str(payload["after"]),
        )
        await uow.commit()
    if ended:
        log.info("event %s: %s bonuses forfeited", event_id, ended)
