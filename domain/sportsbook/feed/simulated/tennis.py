"""A tennis match: prematch prices from the two players' strengths; live, a game every few
minutes won with the model's game probability, prices after every game, the match over
when a player has won the sets it needs; settled from the sets."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.sportsbook.feed.simulated.event import LIVE, PREMATCH, Quote, SimulatedEvent, Timed
from domain.sportsbook.markets import tennis
from domain.sportsbook.markets.scores import SetsScore

MARGIN = Decimal("0.05")
PREMATCH_EVERY = timedelta(hours=2)
GAME_SECONDS = (180, 330)


class TennisMatch(SimulatedEvent):
    sport_key = "tennis"
    sport_name = "Tennis"

    def __init__(
        self, *, players: tuple[str, str], edge: float, best_of: int, **kwargs: Any
    ) -> None:
        super().__init__(home=players[0], away=players[1], **kwargs)
        self.game = tennis.game_probability(edge)
        self.best_of = best_of
        self.sets: list[tuple[int, int]] = []
        self.current = (0, 0)
        self.minutes = 0

    def begin(self, now: datetime) -> None:
        self.next_at = min(now, self.starts_at)

    def state(self) -> tennis.TennisState:
        won = SetsScore(tuple(self.sets)).sets_won
        games = sum(h + a for h, a in self.sets) + sum(self.current)
        return tennis.TennisState(won, self.current, games)

    def score(self) -> dict[str, Any]:
        home, away = SetsScore(tuple(self.sets)).sets_won
        games = [list(s) for s in self.sets]
        if self.status == "live" and self.current != (0, 0):
            games.append(list(self.current))
        return {"home": home, "away": away, "sets": games}

    def clock(self) -> dict[str, Any] | None:
        if self.status != "live":
            return None
        return {"period": f"S{len(self.sets) + 1}", "minute": self.minutes}

    def quotes(self, live: bool) -> list[Quote]:
        quoted = tennis.markets(self.game, self.best_of, self.state(), MARGIN, live=live)
        return [Quote(market_type, specifiers, odds) for market_type, specifiers, odds in quoted]

    def step(self, at: datetime, out: list[Timed]) -> None:
        if self.status == "scheduled" and at < self.starts_at:
            out.append((at, self.odds_change(at, PREMATCH, self.quotes(live=False))))
            self.next_at = min(at + PREMATCH_EVERY, self.starts_at)
            return
        if self.status == "scheduled":
            self.status = "live"
            out.append((at, self.odds_change(at, LIVE, self.quotes(live=True))))
        else:
            self._game()
            if max(SetsScore(tuple(self.sets)).sets_won) > self.best_of // 2:
                self.finish(at, SetsScore(tuple(self.sets)), out)
                return
            out.append((at, self.odds_change(at, LIVE, self.quotes(live=True))))
        seconds = self.rng.randint(*GAME_SECONDS)
        self.minutes += round(seconds / 60)
        self.next_at = at + timedelta(seconds=seconds)

    def _game(self) -> None:
        home, away = self.current
        if self.rng.random() < self.game:
            home += 1
        else:
            away += 1
        self.current = (home, away)
        if tennis.set_over(home, away):
            self.sets.append((home, away))
            self.current = (0, 0)
