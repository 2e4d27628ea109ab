"""Sportsbook events for the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class MarketResulted(Event):
    """A market's results arrived: `sportsbook.settle_market` settles its bets. A trader's
    entry point (the feed's results converge through domain.sportsbook.feed.results
    instead, which also corrects them); the run id makes redelivery harmless."""

    topic = "sportsbook.market_resulted"
    market_id: int
    run_id: uuid.UUID
    # {outcome_id: {"result": "win", "dead_heat": "1/2", "place_result": …}}
    results: dict[str, dict[str, str]]


@dataclass(frozen=True)
class BetsSettled(Event):
    """One settled chunk (for bet-history pushes and notifications)."""

    topic = "sportsbook.bets_settled"
    market_id: int
    run_id: uuid.UUID
    bet_ids: list[int]


@dataclass(frozen=True)
class BetUpdated(Event):
    """A bet changed status outside a settlement run (cashed out; accepted or refused after
    the live delay): pushed to its player's `betUpdated` subscription."""

    topic = "sportsbook.bet_updated"
    bet_id: int
    player_id: uuid.UUID
    status: str


@dataclass(frozen=True)
class LiabilityChanged(Event):
    """Bets came onto or left these markets' books (placed, voided, cancelled, refused):
    their outcomes' liabilities moved. Pub/sub only: traders' `liabilityChanged`. Placement
    writes it inside stakehouse_sportsbook_place (sql/), the same topic and payload."""

    topic = "sportsbook.liability_changed"
    market_ids: list[int]
