"""Odds feed actors: apply feed messages (the `feed` queue) and run the market corrections
they ask for (rollbacks and cancellations, on the sportsbook queue with settlement)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

import dramatiq

from domain.sportsbook.corrections import cancel_bets, rollback_settlement
from domain.sportsbook.errors import MarketNotFound, SettlementConflict
from domain.sportsbook.feed.port import FeedMessage, InvalidFeedMessage, from_wire, to_wire
from domain.sportsbook.feed.processing import process_message
from workers.actors.sportsbook import QUEUE as SPORTSBOOK_QUEUE
from workers.actors.sportsbook import TIME_BUDGET_S
from workers.broker import setup_broker
from workers.runtime import database

log = logging.getLogger(__name__)

# Its own queue: a burst of price changes never delays settlement or payments, and KEDA
# scales feed workers on this queue's length alone.
QUEUE = "feed"


# A malformed message can never succeed: no retry.
@dramatiq.actor(
    actor_name="sportsbook.feed_message",
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(InvalidFeedMessage,),
)
async def feed_message(message: dict[str, Any]) -> None:
    """Apply one feed message; a redelivery is recognised by its (producer, message id)."""
    parsed = from_wire(message)
    async with database().uow() as uow:
        applied = await process_message(uow, parsed)
        await uow.commit()
    log.debug("feed message %s/%s: %s", parsed.producer, parsed.message_id, applied)


class BrokerFeedSink:
    """The FeedSink of production and `stakehouse dev`: onto the `feed` queue."""

    async def deliver(self, message: FeedMessage) -> None:
        feed_message.send(to_wire(message))


# MarketNotSettled and RollbackInProgress are retried: the settlement a rollback undoes
# may still be queued, and another correction of the market may be running.
@dramatiq.actor(
    actor_name="sportsbook.correct_market",
    queue_name=SPORTSBOOK_QUEUE,
    broker=setup_broker(),
    throws=(MarketNotFound, SettlementConflict),
)
async def correct_market(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
    """Run a `sportsbook.market_correction_requested` event: a rollback or a cancellation,
    resumed by its run id on redelivery."""
    market_id = int(payload["market_id"])
    run_id = uuid.UUID(str(payload["run_id"]))
    if payload["correction"] == "rollback":
        summary = await rollback_settlement(
            database(), market_id=market_id, run_id=run_id, time_budget_s=TIME_BUDGET_S
        )
    else:
        summary = await cancel_bets(
            database(),
            market_id=market_id,
            placed_from=datetime.fromisoformat(payload["placed_from"]),
            placed_to=datetime.fromisoformat(payload["placed_to"]),
            run_id=run_id,
            time_budget_s=TIME_BUDGET_S,
        )
    if not summary.done:
        log.info("market %s: correction continues in a new message", market_id)
        correct_market.send(event_id, brand, payload)
