"""A basketball game: prematch prices from the teams' expected points; live, the game's
minutes played at about two and a half real minutes each, points drawn per minute around
each side's rate, prices every game minute, overtime until someone leads; settled from the
final score."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.sportsbook.feed.simulated.event import LIVE, PREMATCH, Quote, SimulatedEvent, Timed
from domain.sportsbook.markets import basketball
from domain.sportsbook.markets.scores import MatchScore

MARGIN = Decimal("0.045")
PREMATCH_EVERY = timedelta(hours=2)
GAME_MINUTE = timedelta(seconds=150)
QUARTER = 12
OVERTIME = 5
POINTS_SPREAD_PER_MINUTE = 2.2


class BasketballGame(SimulatedEvent):
    sport_key = "basketball"
    sport_name = "Basketball"

    def __init__(self, *, expected: tuple[float, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expected = expected
        self.points = [0, 0]
        self.minute = 0
        self.length = basketball.MINUTES

    def begin(self, now: datetime) -> None:
        self.next_at = min(now, self.starts_at)

    def state(self) -> basketball.GameState:
        # In overtime the model sees the last minutes of a game.
        left = self.length - self.minute
        return basketball.GameState(self.points[0], self.points[1], basketball.MINUTES - left)

    def score(self) -> dict[str, Any]:
        return {"home": self.points[0], "away": self.points[1]}

    def clock(self) -> dict[str, Any] | None:
        if self.status != "live":
            return None
        overtime = self.minute >= basketball.MINUTES
        period = "OT" if overtime else f"Q{self.minute // QUARTER + 1}"
        return {"period": period, "minute": self.minute}

    def quotes(self, live: bool) -> list[Quote]:
        quoted = basketball.markets(self.expected, self.state(), MARGIN, live=live)
        return [Quote(market_type, specifiers, odds) for market_type, specifiers, odds in quoted]

    def step(self, at: datetime, out: list[Timed]) -> None:
        if self.status == "scheduled" and at < self.starts_at:
            out.append((at, self.odds_change(at, PREMATCH, self.quotes(live=False))))
            self.next_at = min(at + PREMATCH_EVERY, self.starts_at)
            return
        if self.status == "scheduled":
            self.status = "live"
        else:
            self.minute += 1
            for side in (0, 1):
                rate = self.expected[side] / basketball.MINUTES
                self.points[side] += max(round(self.rng.gauss(rate, POINTS_SPREAD_PER_MINUTE)), 0)
            if self.minute >= self.length:
                if self.points[0] != self.points[1]:
                    self.finish(at, MatchScore(self.points[0], self.points[1]), out)
                    return
                self.length += OVERTIME
        out.append((at, self.odds_change(at, LIVE, self.quotes(live=True))))
        self.next_at = at + GAME_MINUTE
