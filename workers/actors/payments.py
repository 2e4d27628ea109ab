"""Payments actors: thin wrappers that decode an outbox event and call the domain."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import dramatiq

from domain.integrations.psp import UnknownProvider
from domain.kernel.settings import get_settings
from domain.payments import flows as payment_flows
from domain.payments.errors import PaymentNotFound
from workers import payouts
from workers.broker import setup_broker
from workers.runtime import database

log = logging.getLogger(__name__)

QUEUE = "payments"
# A PSP that stays away is retried with exponential backoff capped at an hour: about a day
# in all (under payments.PAYOUT_STUCK_AFTER, after which the scheduler sweeps).
PAYOUT_RETRIES_MAX = 30
PAYOUT_BACKOFF_MAX_MS = 60 * 60_000


@dramatiq.actor(actor_name="payments.abandon_payout", queue_name=QUEUE, broker=setup_broker())
async def abandon_payout(message: dict[str, Any], retry_info: dict[str, Any]) -> None:
    """Dramatiq's on_retry_exhausted for submit_payout: the payout could not be placed,
    so the withdrawal ends as failed with the funds back in cash, and finance is alerted."""
    _event_id, brand, payload = message["args"]
    payment_id = uuid.UUID(str(payload["payment_id"]))
    attempts = int(retry_info.get("retries", 0))
    await payouts.abandon(database(), brand, payment_id, attempts=attempts, via="retries")


# PaymentNotFound and UnknownProvider are permanent: retrying cannot help. ProviderUnavailable
# (and anything unexpected) is retried; the payment stays `approved` meanwhile, and when
# the retries run out, abandon_payout ends it.
@dramatiq.actor(
    actor_name="payments.submit_payout",
    queue_name=QUEUE,
    broker=setup_broker(),
    max_retries=PAYOUT_RETRIES_MAX,
    max_backoff=PAYOUT_BACKOFF_MAX_MS,
    throws=(PaymentNotFound, UnknownProvider),
    on_retry_exhausted="payments.abandon_payout",
)
async def submit_payout(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Pay out an approved withdrawal, once however often the message arrives (the domain
    finds a placed payout and does nothing)."""
    payment_id = uuid.UUID(str(payload["payment_id"]))
    placed = await payment_flows.submit_payout(
        database(), get_settings(), brand=brand, payment_id=payment_id
    )
    if placed is None:
        log.info("payout of %s (event %s) already placed or not approved", payment_id, event_id)
