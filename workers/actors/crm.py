"""CRM actors: record what committed events tell the brand's CRM, and deliver each player's
lane in order. Thin: decode, call the domain, commit."""

from __future__ import annotations

import uuid
from typing import Any, Final

import dramatiq

from domain.integrations.crm import CrmEndpoint, HttpCrm, endpoint_for
from domain.kernel.settings import get_settings
from domain.segments import crm
from workers.broker import setup_broker
from workers.runtime import database

# Its own queue (group `crm`): a CRM that is slow or down never delays anything else.
QUEUE: Final = "crm"
DELIVER: Final = "crm.deliver"

Actor = dramatiq.Actor[..., Any]


def endpoint_of(brand: str) -> CrmEndpoint | None:
    return endpoint_for(get_settings(), brand)


def _recorder(topic: str) -> Actor:
    async def record(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
        """Owe the brand's CRM what the event tells it (once per event)."""
        async with database().uow() as uow:
            await crm.record(
                uow, endpoint_of, topic=topic, event_id=event_id, brand=brand, payload=payload
            )
            await uow.commit()

    # One actor per topic (an actor receives only the event, not its topic).
    name = "crm.record_" + topic.replace(".", "_")
    record.__name__ = record.__qualname__ = name.replace(".", "_")
    declare = dramatiq.actor(actor_name=name, queue_name=QUEUE, broker=setup_broker())
    return declare(record)


RECORDERS: Final[dict[str, Actor]] = {topic: _recorder(topic) for topic in crm.TOPICS}


@dramatiq.actor(actor_name=DELIVER, queue_name=QUEUE, broker=setup_broker())
async def deliver(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Send a player's pending CRM events in order; after a failed attempt, come back when
    its back-off has passed (a delayed message: exponential back-off per lane)."""
    settings = get_settings()
    turn = await crm.deliver_lane(
        database(),
        HttpCrm(),
        endpoint_of,
        uuid.UUID(str(payload["player_id"])),
        retry_first_ms=settings.crm_retry_first_ms,
        retry_max_ms=settings.crm_retry_max_ms,
    )
    if turn.retry_in_ms is not None:
        deliver.send_with_options(args=(event_id, brand, payload), delay=turn.retry_in_ms)
