"""Outbox events of the odds feed and the trading tools. Prices and statuses go to pub/sub
(subscriptions, the site's live odds); corrections also go to `sportsbook.correct_market`.

Kept apart from `events.py` (settlement and bets) so the feed and trading can grow without
touching the settlement code's module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class OddsChanged(Event):
    """Prices or statuses of an event's outcomes changed (the feed, or a trader)."""

    topic = "sportsbook.odds_changed"
    event_id: int
    # [{"outcome_id", "market_id", "odds", "status", "market_status"}], odds as strings.
    outcomes: list[dict[str, Any]]


@dataclass(frozen=True)
class EventUpdated(Event):
    """An event's status, score, fixture or market statuses changed."""

    topic = "sportsbook.event_updated"
    event_id: int
    status: str
    score: dict[str, Any]
    # [{"market_id", "status"}] of the markets whose status changed.
    markets: list[dict[str, Any]]


@dataclass(frozen=True)
class MarketCorrectionRequested(Event):
    """What the feed says about a market's results or cancellation changed:
    `sportsbook.correct_market` brings its bets into line (domain.sportsbook.feed.results;
    any number of these for one market converge to the same end)."""

    topic = "sportsbook.market_correction_requested"
    market_id: int
