"""Sportsbook actors: thin wrappers that decode a message and call the domain."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import dramatiq

from domain.sportsbook.errors import (
    InvalidResults,
    MarketAlreadySettled,
    MarketNotFound,
    SettlementConflict,
)
from domain.sportsbook.settlement import results_from_json
from domain.sportsbook.settlement import settle_market as settle
from workers.broker import ACTOR_TIME_LIMIT_MS, setup_broker
from workers.runtime import database

log = logging.getLogger(__name__)

# Its own queue: settlement bursts (a Saturday's results) never delay other actors, and
# KEDA can scale settlement workers on this queue's length alone.
QUEUE = "sportsbook"
# Chunks stop well inside the actor's time limit; the rest continues as a new message at
# the back of the queue, so one huge market never holds a worker while others wait.
TIME_BUDGET_S = ACTOR_TIME_LIMIT_MS / 1000 / 2


# These are permanent: the same message can never succeed, so retrying cannot help.
@dramatiq.actor(
    actor_name="sportsbook.settle_market",
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(MarketNotFound, InvalidResults, SettlementConflict, MarketAlreadySettled),
)
async def settle_market(event_id: int, brand: str | None, payload: dict[str, Any]) -> None:
    """Settle a resulted market (a `sportsbook.market_resulted` event). At-least-once
    delivery is harmless: the run id resumes the run where it stopped, or finds it done."""
    summary = await settle(
        database(),
        market_id=int(payload["market_id"]),
        results=results_from_json(payload["results"]),
        run_id=uuid.UUID(str(payload["run_id"])),
        time_budget_s=TIME_BUDGET_S,
    )
    if not summary.done:
        log.info("market %s: settlement continues in a new message", payload["market_id"])
        settle_market.send(event_id, brand, payload)
