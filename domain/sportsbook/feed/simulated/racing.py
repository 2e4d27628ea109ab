"""Races and outrights. A race card: runners with ratings, win prices (with each-way place
terms by field size) refreshed until the off, now and then a non-runner withdrawn (its
bets void), the off (bets stopped), the result a couple of minutes later: finishing
positions drawn by rating, now and then a dead heat, settled win and place. An outright
(the league's winner) is priced from the teams' strengths and settles at the season's end,
beyond the simulator's week."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.sportsbook.feed.simulated.event import PREMATCH, Quote, SimulatedEvent, Timed
from domain.sportsbook.markets import racing
from domain.sportsbook.markets.catalogue import place_terms_for
from domain.sportsbook.markets.scores import Standings

RACE_MARGIN = Decimal("0.15")
OUTRIGHT_MARGIN = Decimal("0.2")
PREMATCH_EVERY = timedelta(minutes=30)
PREMATCH_EVERY_FAR = timedelta(hours=6)
RACE_LENGTH = timedelta(minutes=2)
NON_RUNNER_CHANCE = 0.15
DEAD_HEAT_CHANCE = 0.04
RATING_DRIFT = 0.03


class Race(SimulatedEvent):
    sport_key = "horse_racing"
    sport_name = "Horse racing"

    def __init__(self, *, runners: dict[str, float], handicap: bool, **kwargs: Any) -> None:
        super().__init__(home=None, away=None, **kwargs)
        self.runners = {f"r{number}": name for number, name in enumerate(runners, 1)}
        self.ratings = {f"r{n}": rating for n, rating in enumerate(runners.values(), 1)}
        self.place_terms = place_terms_for(len(runners), handicap=handicap)
        self.withdrawn: str | None = None
        self.positions: dict[str, int] | None = None

    def begin(self, now: datetime) -> None:
        self.next_at = min(now, self.starts_at)

    def participants(self) -> list[str]:
        return list(self.runners)

    def outcome_name(self, key: str) -> str:
        return self.runners.get(key, key)

    def score(self) -> dict[str, Any] | None:
        if self.positions is None:
            return None
        return {"positions": dict(sorted(self.positions.items(), key=lambda item: item[1]))}

    def quotes(self, live: bool) -> list[Quote]:
        if self.status != "scheduled":
            return []
        running = {k: r for k, r in self.ratings.items() if k != self.withdrawn}
        odds = racing.prices(running, RACE_MARGIN)
        return [Quote("race_winner", "", odds, place_terms=self.place_terms)]

    def step(self, at: datetime, out: list[Timed]) -> None:
        if self.status == "scheduled" and at < self.starts_at:
            left = self.starts_at - at
            if (
                self.withdrawn is None
                and left <= PREMATCH_EVERY
                and self.rng.random() < NON_RUNNER_CHANCE
            ):
                self.withdrawn = self.rng.choice(sorted(self.runners))
            self.ratings = {
                key: rating * (1 + self.rng.uniform(-RATING_DRIFT, RATING_DRIFT))
                for key, rating in self.ratings.items()
            }
            out.append((at, self.odds_change(at, PREMATCH, self.quotes(live=False))))
            every = PREMATCH_EVERY if left <= timedelta(days=1) else PREMATCH_EVERY_FAR
            self.next_at = min(at + every, self.starts_at)
            return
        if self.status == "scheduled":  # the off
            self.status = "live"
            out.append((at, self.bet_stop(at)))
            self.next_at = at + RACE_LENGTH
            return
        running = {k: r for k, r in self.ratings.items() if k != self.withdrawn}
        self.positions = racing.finishing_order(
            running, self.rng, dead_heat_chance=DEAD_HEAT_CHANCE
        )
        self.finish(at, Standings.of(self.positions), out)


class Outright(SimulatedEvent):
    sport_key = "football"
    sport_name = "Football"

    def __init__(self, *, teams: dict[str, float], **kwargs: Any) -> None:
        super().__init__(home=None, away=None, **kwargs)
        self.teams = {f"t{number}": name for number, name in enumerate(teams, 1)}
        self.ratings = {f"t{n}": rating for n, rating in enumerate(teams.values(), 1)}

    def begin(self, now: datetime) -> None:
        self.next_at = now

    def participants(self) -> list[str]:
        return list(self.teams)

    def outcome_name(self, key: str) -> str:
        return self.teams.get(key, key)

    def quotes(self, live: bool) -> list[Quote]:
        return [Quote("outright_winner", "", racing.prices(self.ratings, OUTRIGHT_MARGIN))]

    def step(self, at: datetime, out: list[Timed]) -> None:
        out.append((at, self.odds_change(at, PREMATCH, self.quotes(live=False))))
        self.next_at = at + timedelta(days=1)
