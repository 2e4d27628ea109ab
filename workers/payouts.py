"""Ending payouts that were never placed, visibly: the funds go back to the player's cash
and finance is alerted (an ERROR line and a counter to alert on).

Two ways in: the payout actor's last retry failing (`payments.abandon_payout`, Dramatiq's
on_retry_exhausted), and the scheduler's sweep for approved payouts older than the retry
schedule (a lost message, or ones stuck before this existed)."""

from __future__ import annotations

import logging
import uuid
from typing import Final

from prometheus_client import Counter

from domain.kernel.db import Database
from domain.payments import service as payments

log = logging.getLogger(__name__)

SWEEP_BATCH_SIZE: Final = 100

# Alert on any increase: each one is a withdrawal the PSP never took, for finance to follow
# up with the player (and the PSP, if its outage was long).
PAYOUTS_ABANDONED: Final = Counter(
    "stakehouse_payouts_abandoned",
    "Approved withdrawals ended as failed because their payout could not be placed.",
    ("via",),
)


async def abandon(
    db: Database, brand: str, payment_id: uuid.UUID, *, attempts: int, via: str
) -> bool:
    """End one payout (its own transaction); whether it was still owed."""
    async with db.transaction() as uow:
        payment = await payments.abandon_payout(
            uow, brand=brand, payment_id=payment_id, attempts=attempts
        )
    if payment is None:
        return False
    PAYOUTS_ABANDONED.labels(via=via).inc()
    log.error(
        "payout of withdrawal %s not placed after %d attempts: failed, %d %s back to cash; "
        "finance to follow up",
        payment_id,
        attempts,
        payment.amount_minor,
        payment.currency,
        extra={"payment_id": str(payment_id), "brand": brand, "attempts": attempts},
    )
    return True


async def sweep_stuck_payouts(db: Database) -> int:
    """The scheduler's job: end approved payouts older than the retry schedule."""
    async with db.uow() as uow:
        stuck = await payments.stuck_payouts(uow, limit=SWEEP_BATCH_SIZE)
    ended = 0
    for brand, payment_id in stuck:
        ended += await abandon(db, brand, payment_id, attempts=0, via="sweep")
    return ended
