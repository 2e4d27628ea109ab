"""Compliance actors: AML and harm monitoring from committed payment events, after their
commit, so a deposit's own transaction carries no monitoring statement."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from domain.compliance.aml import monitoring
from domain.kernel.outbox import claim_message
from workers.broker import setup_broker
from workers.runtime import database

log = logging.getLogger(__name__)

# Its own queue (group `compliance`): alerts never wait behind reporting's bulk upkeep.
QUEUE = "compliance"


@dramatiq.actor(actor_name="compliance.evaluate_payment", queue_name=QUEUE, broker=setup_broker())
async def evaluate_payment(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Evaluate the AML and harm rules a payment's new status concerns, once per event (the
    claim and any alert commit together; an alert is also unique per rule and window)."""
    async with database().uow() as uow:
        if not await claim_message(uow, "compliance.evaluate_payment", event_id):
            return
        raised = await monitoring.evaluate_payment(uow, brand, payload)
        await uow.commit()
    if raised:
        log.info("aml alerts %s for event %s", [rule.value for rule in raised], event_id)


@dramatiq.actor(
    actor_name="compliance.evaluate_limit_increase", queue_name=QUEUE, broker=setup_broker()
)
async def evaluate_limit_increase(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Count the player's limit increases against the pack (a marker of harm), once per
    event."""
    async with database().uow() as uow:
        if not await claim_message(uow, "compliance.evaluate_limit_increase", event_id):
            return
        raised = await monitoring.evaluate_limit_increase(uow, brand, payload)
        await uow.commit()
    if raised:
        log.info("harm alerts %s for event %s", [rule.value for rule in raised], event_id)
