"""A football match: prematch prices from the teams' strengths, refreshed as kick-off
nears; then ninety minutes and stoppage time in real time, goals drawn minute by minute
from the same goal expectations the prices come from, a bet_stop on every goal and the
prices back a minute or two later, the first half settled at half-time, every market
settled from the final score at the whistle."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.sportsbook.feed.simulated.event import LIVE, PREMATCH, Quote, SimulatedEvent, Timed
from domain.sportsbook.markets import football
from domain.sportsbook.markets.scores import MatchScore

MARGIN = Decimal("0.06")
MINUTE = timedelta(minutes=1)
HALF_TIME_BREAK = timedelta(minutes=15)
PREMATCH_EVERY = timedelta(hours=1)
PREMATCH_EVERY_FAR = timedelta(hours=6)
HALF = 45


class FootballMatch(SimulatedEvent):
    sport_key = "football"
    sport_name = "Football"

    def __init__(self, *, teams: tuple[football.Team, football.Team], **kwargs: Any) -> None:
        super().__init__(home=teams[0].name, away=teams[1].name, **kwargs)
        self.expectations = football.goal_expectations(*teams)
        self.goals = [0, 0]
        self.half_time: tuple[int, int] | None = None
        self.period = ""  # "", 1H, HT, 2H, FT
        self.played = 0  # minutes of the half being played
        self.stoppage = (self.rng.randint(0, 3), self.rng.randint(1, 6))
        self.suspended_until: int | None = None
        self.next_at = self.starts_at

    def begin(self, now: datetime) -> None:
        # The first prematch price at once, the next ones on the hour until kick-off.
        self.next_at = min(now, self.starts_at)

    # ---- where the match stands ---------------------------------------------------------

    @property
    def minute(self) -> int:
        """The clock as shown: 1H 1..45(+stoppage), 2H 46..90(+stoppage)."""
        return self.played + (HALF if self.period in ("2H", "FT") else 0)

    def state(self) -> football.MatchState:
        """The match as the model sees it: stoppage time squeezed into the half, so the
        minutes left are what is left to play."""
        half_length = HALF + self.stoppage[0 if self.period == "1H" else 1]
        model_minute = 0
        if self.period in ("1H", "2H"):
            model_minute = math.floor(self.played * HALF / half_length)
            model_minute += HALF if self.period == "2H" else 0
        elif self.period == "HT":
            model_minute = HALF
        return football.MatchState(self.goals[0], self.goals[1], model_minute, self.half_time)

    def score(self) -> dict[str, Any]:
        return {"home": self.goals[0], "away": self.goals[1]}

    def clock(self) -> dict[str, Any] | None:
        if not self.period:
            return None
        return {"period": self.period, "minute": self.minute}

    def quotes(self, live: bool) -> list[Quote]:
        if self.period == "FT":
            return []
        quoted = football.markets(self.expectations, self.state(), MARGIN, live=live)
        return [Quote(market_type, specifiers, odds) for market_type, specifiers, odds in quoted]

    def final(self) -> MatchScore:
        return MatchScore(self.goals[0], self.goals[1], self.half_time)

    # ---- the story ----------------------------------------------------------------------

    def step(self, at: datetime, out: list[Timed]) -> None:
        if not self.period and at < self.starts_at:
            out.append((at, self.odds_change(at, PREMATCH, self.quotes(live=False))))
            every = (
                PREMATCH_EVERY if self.starts_at - at <= timedelta(days=1) else PREMATCH_EVERY_FAR
            )
            self.next_at = min(at + every, self.starts_at)
            return
        if not self.period:
            self.status, self.period, self.played = "live", "1H", 0
            out.append((at, self.odds_change(at, LIVE, self.quotes(live=True))))
            self.next_at = at + MINUTE
            return
        if self.period == "HT":
            self.period, self.played = "2H", 0
            out.append((at, self.odds_change(at, LIVE, self.quotes(live=True))))
            self.next_at = at + MINUTE
            return
        self._minute(at, out)

    def _minute(self, at: datetime, out: list[Timed]) -> None:
        self.played += 1
        half_length = HALF + self.stoppage[0 if self.period == "1H" else 1]
        scored = self._goal()
        if self.played >= half_length:
            self._whistle(at, out)
            return
        self.next_at = at + MINUTE
        if scored:
            # Suspended around the goal: prices return once it stands (a minute or two).
            self.suspended_until = self.played + self.rng.randint(1, 2)
            out.append((at, self.bet_stop(at)))
            return
        if self.suspended_until is not None and self.played < self.suspended_until:
            return
        self.suspended_until = None
        out.append((at, self.odds_change(at, LIVE, self.quotes(live=True))))

    def _goal(self) -> bool:
        """A minute's goals, at the model's rates (one side at most, a minute is short)."""
        scored = False
        for side in (0, 1):
            if self.rng.random() < 1 - math.exp(-self.expectations[side] / (2 * HALF)):
                self.goals[side] += 1
                scored = True
                break
        return scored

    def _whistle(self, at: datetime, out: list[Timed]) -> None:
        if self.period == "1H":
            self.period, self.half_time = "HT", (self.goals[0], self.goals[1])
            out.append((at, self.odds_change(at, LIVE, self.quotes(live=True))))
            first_half = self.settlement(at, self.final(), only="first_half_result")
            if first_half is not None:
                out.append((at, first_half))
            self.next_at = at + HALF_TIME_BREAK
            return
        self.period = "FT"
        self.finish(at, self.final(), out)
