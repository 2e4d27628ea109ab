"""Messaging actors: thin wrappers that decode an outbox event and call the domain."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import dramatiq

from domain.brands.errors import UnknownBrand
from domain.messaging.service import WELCOME_CONSUMER, deliver_welcome
from workers.broker import setup_broker
from workers.runtime import brands, database

log = logging.getLogger(__name__)

QUEUE = "messaging"


# UnknownBrand is permanent (the brand is gone from the themes): retrying cannot help.
@dramatiq.actor(
    actor_name=WELCOME_CONSUMER,
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(UnknownBrand,),
)
async def send_welcome(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Put the welcome message in a new player's inbox, once per event however often the
    broker delivers it (deliver_welcome claims the event in the same transaction)."""
    player_id = uuid.UUID(str(payload["player_id"]))
    brand_name = brands().get(brand).name
    async with database().uow() as uow:
        delivered = await deliver_welcome(
            uow, event_id=event_id, player_id=player_id, brand_name=brand_name
        )
        await uow.commit()
    if not delivered:
        log.info("welcome for event %s skipped: already delivered or no such player", event_id)
