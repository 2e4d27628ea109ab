"""A simulated odds feed: a real producer behind the feed port (`FeedSource`), for dev and
tests. Seeded and driven by the caller's clock, so the same seed and the same poll times
give the same messages.

It runs football, tennis and basketball fixtures: prematch odds derived from probabilities
with an overround (`MARGIN`), live matches whose score moves the odds, a bet_stop around
every goal, results as bet_settlement, now and then a bet_cancel and a settlement rollback
followed by a corrected settlement, and `alive` heartbeats from both producers. A settled
match is replaced by a new fixture, so `stakehouse dev` keeps a live book going.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from domain.kernel import clock
from domain.sportsbook.feed.port import (
    Alive,
    BetCancel,
    BetSettlement,
    BetStop,
    FeedMessage,
    FeedSink,
    Fixture,
    MarketOdds,
    MarketRef,
    MarketResult,
    OddsChange,
    OutcomeOdds,
    OutcomeResult,
    RollbackBetSettlement,
)

log = logging.getLogger(__name__)

PREMATCH = "sim-prematch"
LIVE = "sim-live"
MARGIN = 0.06
ALIVE_EVERY_TICKS = 3
TEAMS = {
    "football": ("epl", "Premier League", ("Reds", "Blues", "Saints", "Villans", "Hammers")),
    "tennis": ("atp", "ATP Tour", ("Nadal", "Alcaraz", "Sinner", "Medvedev", "Rune")),
    "basketball": ("nba", "NBA", ("Lakers", "Celtics", "Bulls", "Knicks", "Heat")),
}
DURATION_TICKS = {"football": 90, "tennis": 60, "basketball": 48}


@dataclass
class _Match:
    ref: str
    sport: str
    home: str
    away: str
    strength: float  # the home side's edge, -1..1
    start_tick: int
    starts_at: datetime
    score: list[int] = field(default_factory=lambda: [0, 0])
    status: str = "scheduled"
    sequence: int = 0
    resume_tick: int | None = None
    end_tick: int = 0


class FeedSimulator:
    """`poll(now)` returns the messages of every tick due by `now` (one per `tick_s`)."""

    def __init__(
        self, *, seed: int, start: datetime, tick_s: float = 1.0, matches: int = 6
    ) -> None:
        # Not for security: a reproducible game, so the stdlib generator is right.
        self._random = random.Random(seed)  # noqa: S311
        self._start = start
        self._tick_s = tick_s
        self._tick = 0
        self._messages = 0
        self._matches: list[_Match] = []
        self._later: dict[int, list[FeedMessage]] = {}
        for index in range(matches):
            self._new_match(index, start_tick=5 + index * 20)

    def poll(self, now: datetime) -> list[FeedMessage]:
        messages: list[FeedMessage] = []
        while self._time(self._tick + 1) <= now:
            messages += self.tick()
        return messages

    def tick(self) -> list[FeedMessage]:
        self._tick += 1
        out: list[FeedMessage] = list(self._later.pop(self._tick, []))
        if self._tick % ALIVE_EVERY_TICKS == 1:
            out += [
                Alive(producer=p, message_id=self._id(), sent_at=self._now())
                for p in (PREMATCH, LIVE)
            ]
        for match in list(self._matches):
            out += self._step(match)
        return out

    # ---- matches -----------------------------------------------------------------------

    def _new_match(self, index: int, *, start_tick: int) -> None:
        sport = ("football", "tennis", "basketball")[index % 3]
        home, away = self._random.sample(TEAMS[sport][2], 2)
        self._matches.append(
            _Match(
                ref=f"sim:{sport}:{index}",
                sport=sport,
                home=home,
                away=away,
                strength=round(self._random.uniform(-0.6, 0.6), 3),
                start_tick=start_tick,
                starts_at=self._time(start_tick),
            )
        )

    def _step(self, match: _Match) -> list[FeedMessage]:  # noqa: PLR0911 (one per phase)
        if self._tick == 1 or (match.status == "scheduled" and self._tick % 10 == 0):
            if match.status == "scheduled" and self._tick != 1:
                match.strength += self._random.uniform(-0.02, 0.02)
            return [self._odds(match, PREMATCH)]
        if match.status == "scheduled" and self._tick >= match.start_tick:
            match.status = "live"
            return [self._odds(match, LIVE)]
        if match.status != "live":
            return []
        if self._tick >= match.start_tick + DURATION_TICKS[match.sport]:
            return self._finish(match)
        if match.resume_tick == self._tick:
            match.resume_tick = None
            return [self._odds(match, LIVE)]
        if match.resume_tick is not None:
            return []
        return self._play(match)

    def _play(self, match: _Match) -> list[FeedMessage]:
        edge = 0.5 + match.strength / 4
        if match.sport == "football":
            if self._random.random() < 0.03:
                match.score[0 if self._random.random() < edge else 1] += 1
                match.resume_tick = self._tick + 2  # suspended around the goal
                return [
                    BetStop(
                        producer=LIVE, message_id=self._id(), event_ref=match.ref,
                        sequence=self._next(match), sent_at=self._now(),
                    )
                ]  # fmt: skip
            return []
        if match.sport == "basketball":
            match.score[0] += self._random.choice((0, 2, 3)) if self._random.random() < edge else 0
            match.score[1] += self._random.choice((0, 2, 3)) if self._random.random() > edge else 0
        elif self._tick % 2 == 0:
            match.score[0 if self._random.random() < edge else 1] += 1
        return [self._odds(match, LIVE)] if self._tick % 2 == 0 else []

    def _finish(self, match: _Match) -> list[FeedMessage]:
        match.status = "ended"
        if match.score[0] == match.score[1] and match.sport != "football":
            match.score[0] += 1  # no draws outside football
        out: list[FeedMessage] = [self._odds(match, LIVE, market_status="suspended")]
        if self._random.random() < 0.15:  # bets taken during a late feed outage are void
            out.append(
                BetCancel(
                    producer=LIVE, message_id=self._id(), event_ref=match.ref,
                    sequence=self._next(match), sent_at=self._now(),
                    markets=(MarketRef("match_result"),),
                    start=self._time(self._tick - 3), end=self._time(self._tick),
                )
            )  # fmt: skip
        out.append(self._settlement(match))
        if self._random.random() < 0.2:  # the feed got the result wrong: roll back, resettle
            rollback = RollbackBetSettlement(
                producer=LIVE, message_id=self._id(), event_ref=match.ref,
                sequence=self._next(match), sent_at=self._now(),
                markets=(MarketRef("match_result"),),
            )  # fmt: skip
            self._later.setdefault(self._tick + 5, []).append(rollback)
            self._later.setdefault(self._tick + 10, []).append(self._settlement(match))
        self._matches.remove(match)
        self._new_match(int(match.ref.rsplit(":", 1)[1]) + 100, start_tick=self._tick + 30)
        return out

    # ---- prices and results ------------------------------------------------------------

    def _probabilities(self, match: _Match) -> dict[str, float]:
        played = 0.0
        if match.status != "scheduled":
            played = min((self._tick - match.start_tick) / DURATION_TICKS[match.sport], 1.0)
        lead = match.score[0] - match.score[1]
        if match.sport == "football":
            remaining = 1.0 - played
            home_rate, away_rate = 1.4 * (1 + match.strength) * remaining, 1.1 * remaining
            draw = sum(_poisson(home_rate, k) * _poisson(away_rate, k - lead) for k in range(11))
            home = sum(
                _poisson(home_rate, h) * _poisson(away_rate, a)
                for h in range(11) for a in range(11) if h - a + lead > 0
            )  # fmt: skip
            return {"home": home, "draw": draw, "away": max(1.0 - home - draw, 0.0)}
        scale = {"tennis": 3.0, "basketball": 12.0}[match.sport] * math.sqrt(1 - played + 0.01)
        home = 0.5 * (1 + math.erf((lead + match.strength * scale) / (scale * math.sqrt(2))))
        return {"home": home, "away": 1.0 - home}

    def _odds(self, match: _Match, producer: str, market_status: str = "active") -> OddsChange:
        probabilities = self._probabilities(match)
        names = {"home": match.home, "draw": "Draw", "away": match.away}
        market = MarketOdds(
            type="match_result", name="Match result", status=market_status,
            outcomes=tuple(
                OutcomeOdds(key, names[key], price(p)) for key, p in probabilities.items()
            ),
        )  # fmt: skip
        return OddsChange(
            producer=producer, message_id=self._id(), event_ref=match.ref,
            sequence=self._next(match), sent_at=self._now(), markets=(market,),
            event_status=match.status, score={"home": match.score[0], "away": match.score[1]},
            fixture=self._fixture(match),
        )  # fmt: skip

    def _settlement(self, match: _Match) -> BetSettlement:
        lead = match.score[0] - match.score[1]
        winner = "home" if lead > 0 else "away" if lead < 0 else "draw"
        keys = ("home", "draw", "away") if match.sport == "football" else ("home", "away")
        return BetSettlement(
            producer=LIVE, message_id=self._id(), event_ref=match.ref,
            sequence=self._next(match), sent_at=self._now(),
            markets=(
                MarketResult(
                    "match_result", tuple(OutcomeResult(k, int(k == winner)) for k in keys)
                ),
            ),
        )  # fmt: skip

    def _fixture(self, match: _Match) -> Fixture:
        key, name, _ = TEAMS[match.sport]
        return Fixture(
            sport_key=match.sport, sport_name=match.sport.title(), competition_key=key,
            competition_name=name, name=f"{match.home} v {match.away}",
            starts_at=match.starts_at, home=match.home, away=match.away,
        )  # fmt: skip

    # ---- bookkeeping -------------------------------------------------------------------

    def _next(self, match: _Match) -> int:
        match.sequence += 1
        return match.sequence

    def _id(self) -> str:
        self._messages += 1
        return f"sim-{self._messages}"

    def _time(self, tick: int) -> datetime:
        return self._start + timedelta(seconds=tick * self._tick_s)

    def _now(self) -> datetime:
        return self._time(self._tick)


def _poisson(rate: float, goals: int) -> float:
    if goals < 0:
        return 0.0
    return math.exp(-rate) * rate**goals / math.factorial(goals)


def price(probability: float, margin: float = MARGIN) -> Decimal:
    """Decimal odds of a probability with the overround: 1 / (p * (1 + margin)), two
    places, rounded down, between 1.01 and 100."""
    bounded = min(max(probability, 0.01), 0.97)
    raw = Decimal(repr(1 / (bounded * (1 + margin))))
    return max(raw.quantize(Decimal("0.01"), rounding=ROUND_DOWN), Decimal("1.01"))


# ---- running it in real time -------------------------------------------------------------

TICK_S = 1.0


async def run_feed_simulator(
    stop: asyncio.Event, sink: FeedSink, *, seed: int = 7, tick_s: float = TICK_S
) -> None:
    """Deliver the simulator's messages to `sink` every `tick_s` until `stop` is set: in
    `stakehouse dev` and `stakehouse feed-simulator` the sink is the broker's `feed` queue,
    so they take the same path as a real feed's (`sportsbook.feed_message`)."""
    simulator = FeedSimulator(seed=seed, start=clock.now(), tick_s=tick_s)
    while not stop.is_set():
        try:
            for message in simulator.poll(clock.now()):
                await sink.deliver(message)
        except Exception:
            log.exception("feed simulator tick failed; continuing")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick_s)
