"""A simulated odds feed: a real producer behind the feed port (`FeedSource`), for dev and
tests. Seeded and driven by the caller's clock, so the same seed and the same poll times
give the same messages.

It plays a week of sport in real time (domain.sportsbook.feed.simulated): football,
tennis, basketball and horse racing in competitions from Sydney to New York at the hours
they are played there, so a few events are in play at any moment. Prematch prices come
from the models of domain.sportsbook.markets with each sport's margin; live prices follow
the score and the clock, with a bet_stop around every goal; results come from the final
score by each market's rule; now and then a bet_cancel, and a settlement rolled back and
sent again; `alive` heartbeats from both producers. Started mid-afternoon, it joins the
matches already under way at their current score. Fixtures come into the week's horizon
as the days pass.

Messages are built in the feed's wire form, with the agreed keys a receiving side may not
read yet (`place_terms` on a race's market, `place` on a runner's result, `clock` on an
event's odds): `poll_wire` returns them as sent, `poll` as the port's messages (through
`from_wire`, which ignores keys it does not know).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, timedelta
from typing import Any

from domain.kernel import clock
from domain.sportsbook.feed.port import FeedMessage, FeedSink, from_wire
from domain.sportsbook.feed.simulated.event import LIVE, PREMATCH, SimulatedEvent
from domain.sportsbook.feed.simulated.schedule import Schedule

log = logging.getLogger(__name__)

HORIZON = timedelta(days=7)
# How far back the first poll looks for events still under way (a match with its break,
# a basketball game).
LOOKBACK = timedelta(hours=4)
ALIVE_EVERY = timedelta(seconds=3)
# Local days run up to 14 hours either side of UTC: plan this many UTC days around.
ZONE_DAYS = 1


class FeedSimulator:
    """`poll(now)` returns the messages of every tick due by `now` (one per `tick_s`)."""

    def __init__(
        self, *, seed: int, start: datetime, tick_s: float = 1.0, horizon: timedelta = HORIZON
    ) -> None:
        self._schedule = Schedule(seed)
        self._start = start
        self._tick_s = tick_s
        self._horizon = horizon
        self._tick = 0
        self._messages = 0
        self._last_alive: datetime | None = None
        self._events: dict[str, SimulatedEvent] = {}
        self._next_day: date | None = None
        # Fixtures drawn but beyond the horizon yet, the soonest last.
        self._waiting: list[SimulatedEvent] = []
        self._rejoining: set[str] = set()
        self._plan(start, catch_up=True)

    @property
    def events(self) -> list[SimulatedEvent]:
        return sorted(self._events.values(), key=lambda e: (e.starts_at, e.ref))

    def poll(self, now: datetime) -> list[FeedMessage]:
        return [from_wire(message) for message in self.poll_wire(now)]

    def poll_wire(self, now: datetime) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while self._time(self._tick + 1) <= now:
            messages += self.tick_wire()
        return messages

    def tick(self) -> list[FeedMessage]:
        return [from_wire(message) for message in self.tick_wire()]

    def tick_wire(self) -> list[dict[str, Any]]:
        self._tick += 1
        now = self._time(self._tick)
        out: list[tuple[datetime, dict[str, Any]]] = []
        if self._last_alive is None or now - self._last_alive >= ALIVE_EVERY:
            self._last_alive = now
            out += [
                (now, {"kind": "alive", "producer": p, "sent_at": now.isoformat()})
                for p in (PREMATCH, LIVE)
            ]
        self._plan(now, catch_up=False)
        for event in self.events:
            if event.ref in self._rejoining:
                self._rejoining.discard(event.ref)
                out += event.rejoin(now)
            out += event.advance(now)
            if event.done:
                del self._events[event.ref]
        out.sort(key=lambda item: item[0])
        return [self._numbered(message) for _, message in out]

    # ---- the calendar -------------------------------------------------------------------

    def _plan(self, now: datetime, *, catch_up: bool) -> None:
        """Bring every fixture up to the horizon into play. On the first call, events
        under way since `LOOKBACK` are played silently up to now and rejoin with their
        state (a feed joined mid-match), and the outrights open; later fixtures start with
        their first prematch price as they come within the horizon."""
        last_day = (now + self._horizon).date() + timedelta(days=ZONE_DAYS)
        if self._next_day is None:
            self._next_day = (now - LOOKBACK).date() - timedelta(days=ZONE_DAYS)
        if self._next_day <= last_day:
            while self._next_day <= last_day:
                self._waiting += self._schedule.day(self._next_day)
                self._next_day += timedelta(days=1)
            self._waiting.sort(key=lambda e: (e.starts_at, e.ref), reverse=True)
        if catch_up:
            for outright in self._schedule.outrights(now):
                outright.begin(now)
                self._events[outright.ref] = outright
        while self._waiting and self._waiting[-1].starts_at <= now + self._horizon:
            event = self._waiting.pop()
            if event.starts_at < now - LOOKBACK:
                continue  # over before the feed began
            self._events[event.ref] = event
            if not catch_up or event.starts_at > now:
                event.begin(now)
                continue
            event.begin(event.starts_at)
            event.advance(now)  # silently: the book hears of it when it rejoins
            if event.done:
                del self._events[event.ref]
            else:
                self._rejoining.add(event.ref)

    # ---- bookkeeping --------------------------------------------------------------------

    def _numbered(self, message: dict[str, Any]) -> dict[str, Any]:
        self._messages += 1
        # Unique per run too: a restarted simulator's ids must not be taken for the
        # redeliveries of an earlier run's (the book applies a message id once).
        run = int(self._start.timestamp())
        return {**message, "message_id": f"sim-{run}-{self._messages}"}

    def _time(self, tick: int) -> datetime:
        return self._start + timedelta(seconds=tick * self._tick_s)


# ---- running it in real time -------------------------------------------------------------

TICK_S = 1.0


async def run_feed_simulator(
    stop: asyncio.Event, sink: FeedSink, *, seed: int = 7, tick_s: float = TICK_S
) -> None:
    """Deliver the simulator's messages to `sink` every `tick_s` until `stop` is set: in
    `stakehouse dev` and `stakehouse feed-simulator` the sink is the broker's `feed` queue,
    so they take the same path as a real feed's (`sportsbook.feed_message`)."""
    # Pricing a week of fixtures takes a few seconds at first (and a moment every tick):
    # in a thread, so the API sharing this loop in `stakehouse dev` keeps answering.
    simulator = await asyncio.to_thread(FeedSimulator, seed=seed, start=clock.now(), tick_s=tick_s)
    while not stop.is_set():
        try:
            for message in await asyncio.to_thread(simulator.poll, clock.now()):
                await sink.deliver(message)
        except Exception:
            log.exception("feed simulator tick failed; continuing")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick_s)
