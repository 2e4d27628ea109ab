"""Odds feed actors, thin callers of domain.sportsbook.feed: apply feed messages (the
`feed` queue) and bring markets' bets into line with the results and cancellations they
say (on the sportsbook queue with settlement)."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from domain.sportsbook.errors import MarketNotFound
from domain.sportsbook.feed.port import FeedMessage, InvalidFeedMessage, from_wire, to_wire
from domain.sportsbook.feed.processing import process_message
from domain.sportsbook.feed.results import converge
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


# MarketNotFound is permanent (markets are never deleted). Nothing else is: an order of
# messages, or another run of the market, only ever means waiting for it.
@dramatiq.actor(
    actor_name="sportsbook.correct_market",
    queue_name=SPORTSBOOK_QUEUE,
    broker=setup_broker(),
    throws=(MarketNotFound,),
)
async def correct_market(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
    """Bring a market's bets into line with what the feed says of its results and
    cancellation (a `sportsbook.market_correction_requested` event), continued in a new
    message past the time budget."""
    market_id = int(payload["market_id"])
    if not await converge(database(), market_id=market_id, time_budget_s=TIME_BUDGET_S):
        log.info("market %s: correction continues in a new message", market_id)
        correct_market.send(event_id, brand, payload)
