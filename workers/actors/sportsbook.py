"""Sportsbook actors: thin wrappers that decode a message and call the domain."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import dramatiq
from opentelemetry import trace

from domain.kernel import telemetry
from domain.sportsbook.errors import (
    InvalidResults,
    MarketAlreadySettled,
    MarketNotFound,
    SettlementConflict,
)
from domain.sportsbook.queries import placement_traces
from domain.sportsbook.settlement import results_from_json, settle_lanes, start_settlement
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
    """Settle a resulted market (a `sportsbook.market_resulted` event): record the results,
    settle the first lane here and hand every other lane of a huge market to a message of
    its own, so several workers (processes, pods) settle it side by side. At-least-once
    delivery is harmless: the run id resumes the run where it stopped, or finds it done."""
    run_id = uuid.UUID(str(payload["run_id"]))
    await _link_placements(int(payload["market_id"]))
    lanes = await start_settlement(
        database(),
        market_id=int(payload["market_id"]),
        results=results_from_json(payload["results"]),
        run_id=run_id,
    )
    for lane in lanes[1:]:
        settle_lane.send(str(run_id), lane)
    if lanes:
        await _settle(run_id, lanes[0])


@dramatiq.actor(actor_name="sportsbook.settle_lane", queue_name=QUEUE, broker=setup_broker())
async def settle_lane(run_id: str, lane: int) -> None:
    """Settle one lane of a started run, continuing in a new message past the time budget.
    A duplicate delivery takes turns with the first, chunk by chunk, on the lane's lock."""
    await _settle(uuid.UUID(run_id), lane)


async def _link_placements(market_id: int) -> None:
    """Link this settlement's span to the requests that placed the market's bets (traced
    bets keep their `traceparent`), so a bet's trace leads to the run that paid it."""
    if not telemetry.tracing_enabled():
        return
    span = trace.get_current_span()
    async with database().uow() as uow:
        traceparents = await placement_traces(uow, market_id)
    for traceparent in traceparents:
        link = telemetry.link_to(traceparent)
        if link is not None:
            span.add_link(link.context, {"stakehouse.link": "placed_bet"})


async def _settle(run_id: uuid.UUID, lane: int) -> None:
    summary = await settle_lanes(
        database(), run_id=run_id, lanes=[lane], time_budget_s=TIME_BUDGET_S
    )
    if summary.unfinished_lanes:
        log.info("settlement run %s: lane %s continues in a new message", run_id, lane)
        settle_lane.send(str(run_id), lane)
