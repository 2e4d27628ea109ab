"""What every simulated event shares: its fixture, the markets it has offered (so results
name exactly the outcomes the book knows), and its messages in the feed's wire form
(domain.sportsbook.feed.port.to_wire's shape plus the agreed keys `place_terms`, `place`,
`clock`; a receiver that ignores unknown keys still applies the rest).

An event is a story told by `step`, one due action at a time (`next_at`): `advance(until)`
runs every action due by then and returns the messages with their times. Its randomness
comes from its own generator, seeded from the simulator's seed and its reference, so its
story does not depend on how often it is polled or on the other events.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.sportsbook.markets.catalogue import MARKET_TYPES, PlaceTerms, settle

PREMATCH = "sim-prematch"
LIVE = "sim-live"
Wire = dict[str, Any]
Timed = tuple[datetime, Wire]
# The share of finished matches whose late bets are cancelled (a feed outage), and of
# settlements the feed rolls back and settles again minutes later.
CANCEL_CHANCE = 0.1
CORRECTION_CHANCE = 0.15
FIXED_NAMES = {
    "draw": "Draw", "over": "Over", "under": "Under", "yes": "Yes", "no": "No",
    "home_draw": "1X", "home_away": "12", "draw_away": "X2", "other": "Other",
}  # fmt: skip


@dataclass(frozen=True)
class Competition:
    key: str
    name: str
    country: str | None
    timezone: str


@dataclass
class Quote:
    """A market's price now: odds by outcome key (a key left out cannot win any more)."""

    type: str
    specifiers: str
    odds: dict[str, Decimal]
    status: str = "active"
    place_terms: PlaceTerms | None = None


@dataclass
class _Offered:
    """What the book has been told about a market: outcome names and last odds."""

    name: str
    outcomes: dict[str, tuple[str, Decimal]] = field(default_factory=dict)
    status: str = "active"
    place_terms: PlaceTerms | None = None


class SimulatedEvent:
    sport_key = ""
    sport_name = ""

    def __init__(
        self,
        *,
        ref: str,
        competition: Competition,
        name: str,
        starts_at: datetime,
        home: str | None,
        away: str | None,
        seed: str,
    ) -> None:
        self.ref = ref
        self.competition = competition
        self.name = name
        self.starts_at = starts_at
        self.home = home
        self.away = away
        # Not for security: a reproducible story, so the stdlib generator is right.
        self.rng = random.Random(seed)  # noqa: S311
        self.status = "scheduled"
        self.sequence = 0
        self.next_at = starts_at
        self.finished = False
        self._offered: dict[tuple[str, str], _Offered] = {}
        self._settled: set[tuple[str, str]] = set()
        self._later: list[Timed] = []

    # ---- the story -------------------------------------------------------------------------

    def begin(self, now: datetime) -> None:
        """Put the first action at `now` (or the event's own time, if earlier)."""
        self.next_at = min(self.next_at, now)

    def step(self, at: datetime, out: list[Timed]) -> None:
        raise NotImplementedError

    def quotes(self, live: bool) -> list[Quote]:
        raise NotImplementedError

    @property
    def done(self) -> bool:
        return self.finished and not self._later

    def advance(self, until: datetime) -> list[Timed]:
        out: list[Timed] = []
        while not self.finished and self.next_at <= until:
            self.step(self.next_at, out)
        due = [item for item in self._later if item[0] <= until]
        self._later = [item for item in self._later if item[0] > until]
        return sorted(out + due, key=lambda item: item[0])

    def rejoin(self, at: datetime) -> list[Timed]:
        """After catching up silently (the simulator started mid-story): forget what was
        offered, so the book is told the event afresh, and tell it the current state."""
        self._offered.clear()
        self._settled.clear()
        self._later.clear()
        if self.finished:
            return []
        live = self.status == "live"
        return [(at, self.odds_change(at, LIVE if live else PREMATCH, self.quotes(live)))]

    def later(self, at: datetime, message: Wire) -> None:
        self._later.append((at, message))

    def participants(self) -> Sequence[str]:
        return ()

    def score(self) -> dict[str, Any] | None:
        return None

    def clock(self) -> dict[str, Any] | None:
        return None

    # ---- messages -----------------------------------------------------------------------

    def _message(self, kind: str, at: datetime, producer: str) -> Wire:
        # Grows with the clock (milliseconds), so a simulator restarted mid-match (its
        # story replayed silently) still sends sequences above those the book has applied.
        self.sequence = max(self.sequence + 1, int(at.timestamp() * 1000))
        return {
            "kind": kind, "producer": producer, "event_ref": self.ref,
            "sequence": self.sequence, "sent_at": at.isoformat(),
        }  # fmt: skip

    def fixture(self) -> Wire:
        return {
            "sport_key": self.sport_key, "sport_name": self.sport_name,
            "competition_key": self.competition.key,
            "competition_name": self.competition.name, "name": self.name,
            "starts_at": self.starts_at.isoformat(), "home": self.home, "away": self.away,
            "country": self.competition.country,
        }  # fmt: skip

    def odds_change(
        self, at: datetime, producer: str, quotes: Sequence[Quote], *, closing: bool = False
    ) -> Wire:
        """The event's state and these markets' prices; a market offered before and not
        quoted now is deactivated (a moved line), every market suspended when `closing`."""
        message = self._message("odds_change", at, producer)
        quoted = {(quote.type, quote.specifiers) for quote in quotes}
        markets = [self._market(quote, closing=closing) for quote in quotes]
        for ref, offered in self._offered.items():
            if ref in quoted or ref in self._settled:
                continue
            status = "suspended" if closing else "deactivated"
            if offered.status != status:
                offered.status = status
                markets.append(self._known(ref, offered))
        message.update(
            markets=markets, event_status=self.status, score=self.score(),
            fixture=self.fixture(),
        )  # fmt: skip
        clock = self.clock()
        if clock is not None:
            message["clock"] = clock
        return message

    def _market(self, quote: Quote, *, closing: bool) -> Wire:
        market_type = MARKET_TYPES[quote.type]
        ref = (quote.type, quote.specifiers)
        offered = self._offered.setdefault(
            ref, _Offered(_market_name(market_type.name, quote.specifiers))
        )
        offered.status = "suspended" if closing else quote.status
        offered.place_terms = quote.place_terms
        for key in market_type.outcome_keys(quote.specifiers, self.participants()):
            if key in quote.odds:
                offered.outcomes[key] = (self.outcome_name(key), quote.odds[key])
        return self._known(ref, offered, active=set(quote.odds))

    def _known(
        self, ref: tuple[str, str], offered: _Offered, active: set[str] | None = None
    ) -> Wire:
        market: Wire = {
            "type": ref[0], "specifiers": ref[1], "name": offered.name,
            "status": offered.status,
            "outcomes": [
                {"key": key, "name": name, "odds": str(odds),
                 "active": active is not None and key in active}
                for key, (name, odds) in offered.outcomes.items()
            ],
        }  # fmt: skip
        if offered.place_terms is not None:
            market["place_terms"] = offered.place_terms.wire()
        return market

    def outcome_name(self, key: str) -> str:
        if key == "home" and self.home:
            return self.home
        if key == "away" and self.away:
            return self.away
        return FIXED_NAMES.get(key, key)

    def bet_stop(self, at: datetime) -> Wire:
        return self._message("bet_stop", at, LIVE)

    def settlement(self, at: datetime, final: object, *, only: str | None = None) -> Wire | None:
        """Every offered, unsettled market (of type `only`, if given) resulted from the
        final score by its rule; None when there is none."""
        markets = []
        for ref, offered in self._offered.items():
            if ref in self._settled or (only is not None and ref[0] != only):
                continue
            self._settled.add(ref)
            outcomes = settle(
                ref[0], ref[1], final, participants=self.participants(),
                place_terms=offered.place_terms,
            )  # fmt: skip
            markets.append({
                "type": ref[0], "specifiers": ref[1],
                "outcomes": [o.wire() for o in outcomes if o.key in offered.outcomes],
            })  # fmt: skip
        if not markets:
            return None
        message = self._message("bet_settlement", at, LIVE)
        message["markets"] = markets
        return message

    def finish(self, at: datetime, final: object, out: list[Timed]) -> None:
        """The end: every market suspended, now and then the last minutes' bets
        cancelled, every market settled, and now and then the settlement rolled back and
        sent again (the feed's correction)."""
        self.status, self.finished = "ended", True
        out.append((at, self.odds_change(at, LIVE, [], closing=True)))
        main = next(iter(self._offered), None)
        if main is not None and self.rng.random() < CANCEL_CHANCE:
            cancel = self._message("bet_cancel", at, LIVE)
            cancel.update(
                markets=[{"type": main[0], "specifiers": main[1]}],
                start=(at - timedelta(minutes=3)).isoformat(), end=at.isoformat(),
            )  # fmt: skip
            out.append((at, cancel))
        settled = self.settlement(at, final)
        if settled is None:
            return
        out.append((at, settled))
        if self.rng.random() < CORRECTION_CHANCE:
            rollback = self._message("rollback_bet_settlement", at, LIVE)
            rollback["markets"] = [
                {"type": m["type"], "specifiers": m["specifiers"]} for m in settled["markets"]
            ]
            again = {**settled, **self._message("bet_settlement", at, LIVE)}
            rollback["sent_at"] = (at + timedelta(minutes=5)).isoformat()
            again["sent_at"] = (at + timedelta(minutes=10)).isoformat()
            self.later(at + timedelta(minutes=5), rollback)
            self.later(at + timedelta(minutes=10), again)


def _market_name(name: str, specifiers: str) -> str:
    """The catalogue's name with its line, so two lines of one market type tell apart."""
    line = specifiers.split("=", 1)[1] if "=" in specifiers else ""
    return f"{name} {line}" if line and not specifiers.startswith("sets=") else name
