"""Segments actors: keep membership from committed events and send campaign batches.
Thin: decode, call the domain in one unit of work, commit."""

from __future__ import annotations

import uuid
from typing import Any

import dramatiq

from domain.brands.errors import UnknownBrand
from domain.segments import campaigns, keeping
from workers.broker import setup_broker
from workers.runtime import brands, database

# Its own queue (group `segments`): a campaign's burst never delays receipts or payouts.
QUEUE = "segments"


@dramatiq.actor(actor_name="segments.apply_activity_batch", queue_name=QUEUE, broker=setup_broker())
async def apply_activity_batch(events: list[list[Any]]) -> None:
    """Add a relay batch of ledger events, `[event_id, topic, brand, payload]` each, to the
    players' facts (each event once) and move the players in or out of their brand's
    segments, in one transaction: a fixed number of statements per batch and brand, not a
    round per event."""
    async with database().uow() as uow:
        await keeping.apply_ledger_events(
            uow, [(int(event_id), brand, payload) for event_id, _, brand, payload in events]
        )
        await uow.commit()


@dramatiq.actor(actor_name="segments.apply_activity", queue_name=QUEUE, broker=setup_broker())
async def apply_activity(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
    """(Kept for messages queued before `apply_activity_batch` took over the route.) Add a
    ledger event's deposits, stakes, wins and bonuses to the players' facts (once) and move
    the players in or out of the brand's segments."""
    async with database().uow() as uow:
        await keeping.apply_ledger_event(uow, event_id, brand, payload)
        await uow.commit()


@dramatiq.actor(actor_name="segments.evaluate_player", queue_name=QUEUE, broker=setup_broker())
async def evaluate_player(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
    """Re-evaluate the event's player against the brand's segments (registration, a status
    change such as self-exclusion, a consent change)."""
    async with database().uow() as uow:
        await keeping.apply_player_event(uow, brand, payload)
        await uow.commit()


@dramatiq.actor(
    actor_name="segments.send_campaign",
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(UnknownBrand,),
)
async def send_campaign(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Send a due campaign's next batch (within its throttle); a second run of the same
    batch sends nothing (recipients are marked in the batch's transaction)."""
    default_locale = brands().get(brand).default_locale
    async with database().uow() as uow:
        await campaigns.send_batch(uow, uuid.UUID(str(payload["campaign_id"])), default_locale)
        await uow.commit()
