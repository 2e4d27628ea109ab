"""The odds feed port: the messages an odds provider sends, as industry feeds shape them
(Betradar UOF, Betgenius, Kambi and the like all carry the same eight kinds), and the two
sides of the port: a source of messages and the sink that applies them.

Every message names its producer (a feed has several: prematch, live, …) and carries a
message id unique per producer, which makes a redelivery recognisable. Messages about an
event carry the feed's event reference and a sequence number that grows per event, so a
consumer can tell a late message from a newer one. Odds are exact decimals, never floats.

On the wire (the broker, a provider's adapter) a message is a JSON object with a `kind`;
`to_wire` and `from_wire` convert both ways and reject what does not fit: every value that
could never be applied (odds that are NaN, infinite, negative or absurd; a result other
than 0 or 1; a void factor other than 0, 0.5 or 1; a dead-heat factor outside (0, 1]; a
negative sequence; place terms that pay nothing or more than the win; a finishing position
below 1) is refused here, on receipt, so such a message fails at once as
InvalidFeedMessage (permanent: the actor dead-letters it without retrying) instead of
failing again and again deeper in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Any, Protocol

from domain.kernel.errors import DomainError


class MessageKind(StrEnum):
    ODDS_CHANGE = "odds_change"
    BET_STOP = "bet_stop"
    BET_SETTLEMENT = "bet_settlement"
    BET_CANCEL = "bet_cancel"
    ROLLBACK_BET_SETTLEMENT = "rollback_bet_settlement"
    ROLLBACK_BET_CANCEL = "rollback_bet_cancel"
    FIXTURE_CHANGE = "fixture_change"
    ALIVE = "alive"
    # The end of a producer's recovery (domain.sportsbook.feed.producers).
    SNAPSHOT_COMPLETE = "snapshot_complete"


class InvalidFeedMessage(DomainError):
    code = "INVALID_FEED_MESSAGE"
    message = "The feed message is malformed."


# The producer traders speak as (domain.sportsbook.booking, resulting). Their messages are
# applied in process, never sent on a wire: one arriving from outside is refused, since a
# trader's state messages are not ordered by sequence.
TRADER_PRODUCER = "trader"
# The highest price a feed may quote; anything above is a provider's error, not odds.
ODDS_MAX = Decimal(100_000)
VOID_FACTORS = frozenset({Decimal(0), Decimal("0.5"), Decimal(1)})
# Each-way terms as racing quotes them: at most this many places, a fraction's terms at
# most this large (the columns are small integers).
PLACES_MAX = 20
FRACTION_TERM_MAX = 100
POSITION_MAX = 1_000


@dataclass(frozen=True)
class Fixture:
    """What an event is: enough to create it (sport, competition, teams, start)."""

    sport_key: str
    sport_name: str
    competition_key: str
    competition_name: str
    name: str
    starts_at: datetime
    home: str | None = None
    away: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class OutcomeOdds:
    key: str
    name: str
    odds: Decimal
    active: bool = True


@dataclass(frozen=True)
class PlaceTerms:
    """Each-way terms: the first `places` finishers are placed, paid at `fraction` of the
    win odds (on the wire `{"places": 3, "fraction": "1/5"}`)."""

    places: int
    fraction: Fraction


@dataclass(frozen=True)
class MarketOdds:
    """One market's full price: every outcome (the margin is computed over them)."""

    type: str
    name: str
    # active | suspended | deactivated
    status: str
    outcomes: tuple[OutcomeOdds, ...]
    specifiers: str = ""
    # None: the market's terms stay as they are (a feed that never sends them).
    place_terms: PlaceTerms | None = None


@dataclass(frozen=True)
class MarketRef:
    type: str
    specifiers: str = ""


@dataclass(frozen=True)
class OutcomeResult:
    """The industry's result form: `result` 1 (won) or 0 (lost), a void factor (0, 0.5
    or 1: the share of the stake returned) and a dead-heat factor (1 unless tied)."""

    key: str
    result: int
    void_factor: Decimal = Decimal(0)
    dead_heat_factor: Decimal = Decimal(1)
    # The finishing position (racing): within the market's places, each-way bets' place
    # part wins. None: the place part follows `result` (a winner is placed).
    place: int | None = None


@dataclass(frozen=True)
class MarketResult:
    type: str
    outcomes: tuple[OutcomeResult, ...]
    specifiers: str = ""


@dataclass(frozen=True, kw_only=True)
class EventMessage:
    producer: str
    message_id: str
    event_ref: str
    # Grows per event; a message with a sequence at or below the last applied is late.
    sequence: int
    sent_at: datetime


@dataclass(frozen=True, kw_only=True)
class OddsChange(EventMessage):
    kind = MessageKind.ODDS_CHANGE
    markets: tuple[MarketOdds, ...] = ()
    # scheduled | live | ended | cancelled; None: unchanged.
    event_status: str | None = None
    score: Mapping[str, Any] | None = None
    # The match clock, e.g. {"period": "2H", "minute": 67}; None: unchanged.
    clock: Mapping[str, Any] | None = None
    # Lets the first message about an event create it.
    fixture: Fixture | None = None


@dataclass(frozen=True, kw_only=True)
class BetStop(EventMessage):
    """Suspend the event's markets (of these types; all when empty) until odds resume."""

    kind = MessageKind.BET_STOP
    market_types: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BetSettlement(EventMessage):
    kind = MessageKind.BET_SETTLEMENT
    markets: tuple[MarketResult, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BetCancel(EventMessage):
    """Void the bets on these markets placed in [start, end) (the whole market when both
    are None)."""

    kind = MessageKind.BET_CANCEL
    markets: tuple[MarketRef, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RollbackBetSettlement(EventMessage):
    kind = MessageKind.ROLLBACK_BET_SETTLEMENT
    markets: tuple[MarketRef, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RollbackBetCancel(EventMessage):
    kind = MessageKind.ROLLBACK_BET_CANCEL
    markets: tuple[MarketRef, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FixtureChange(EventMessage):
    kind = MessageKind.FIXTURE_CHANGE
    fixture: Fixture
    event_status: str | None = None


@dataclass(frozen=True, kw_only=True)
class Alive:
    """A producer's heartbeat: without one for a while, its markets are suspended."""

    kind = MessageKind.ALIVE
    producer: str
    message_id: str
    sent_at: datetime
    subscribed: bool = field(default=True)


@dataclass(frozen=True, kw_only=True)
class SnapshotComplete:
    """A producer has re-sent everything after the gap that started its recovery: its
    markets, held suspended since, may trade again. Over HTTP it is numbered like every
    message of the producer, so it takes effect only once all before it are applied."""

    kind = MessageKind.SNAPSHOT_COMPLETE
    producer: str
    message_id: str
    sent_at: datetime


FeedMessage = (
    OddsChange
    | BetStop
    | BetSettlement
    | BetCancel
    | RollbackBetSettlement
    | RollbackBetCancel
    | FixtureChange
    | Alive
    | SnapshotComplete
)


class FeedSource(Protocol):
    """A producer of feed messages: a provider's adapter or the built-in simulator. Each
    call returns the messages that became due by `now`, in the order they were sent."""

    def poll(self, now: datetime) -> Sequence[FeedMessage]: ...


class FeedSink(Protocol):
    """Where messages go to be applied: the broker's `feed` queue in production, the
    processing function directly in tests. Both end in domain.sportsbook.feed."""

    async def deliver(self, message: FeedMessage) -> None: ...


# ---- wire form ---------------------------------------------------------------------------


def to_wire(message: FeedMessage) -> dict[str, Any]:
    """The JSON form of a message (decimals and datetimes as strings)."""
    return {"kind": message.kind.value, **_plain(message)}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def from_wire(raw: Mapping[str, Any]) -> FeedMessage:
    """Errors: InvalidFeedMessage."""
    try:
        return _decode(raw)
    except (KeyError, TypeError, ValueError, InvalidOperation):
        raise InvalidFeedMessage(field="message") from None


def _decode(raw: Mapping[str, Any]) -> FeedMessage:  # noqa: PLR0911 (one per kind)
    kind = MessageKind(raw["kind"])
    sent_at = _datetime(raw["sent_at"])
    if raw["producer"] == TRADER_PRODUCER:
        raise ValueError("only traders in process speak as the trader producer")
    if kind is MessageKind.ALIVE:
        return Alive(
            producer=str(raw["producer"]),
            message_id=str(raw["message_id"]),
            sent_at=sent_at,
            subscribed=bool(raw.get("subscribed", True)),
        )
    if kind is MessageKind.SNAPSHOT_COMPLETE:
        return SnapshotComplete(
            producer=str(raw["producer"]), message_id=str(raw["message_id"]), sent_at=sent_at
        )
    common: dict[str, Any] = {
        "producer": str(raw["producer"]),
        "message_id": str(raw["message_id"]),
        "event_ref": str(raw["event_ref"]),
        "sequence": _sequence(raw["sequence"]),
        "sent_at": sent_at,
    }
    if kind is MessageKind.ODDS_CHANGE:
        return OddsChange(
            **common,
            markets=tuple(_market_odds(m) for m in raw.get("markets") or ()),
            event_status=raw.get("event_status"),
            score=_object(raw.get("score")),
            clock=_object(raw.get("clock")),
            fixture=_fixture(raw["fixture"]) if raw.get("fixture") else None,
        )
    if kind is MessageKind.BET_STOP:
        return BetStop(**common, market_types=tuple(raw.get("market_types") or ()))
    if kind is MessageKind.BET_SETTLEMENT:
        return BetSettlement(
            **common, markets=tuple(_market_result(m) for m in raw.get("markets") or ())
        )
    if kind is MessageKind.FIXTURE_CHANGE:
        return FixtureChange(
            **common, fixture=_fixture(raw["fixture"]), event_status=raw.get("event_status")
        )
    refs = tuple(MarketRef(m["type"], m.get("specifiers", "")) for m in raw.get("markets") or ())
    if kind is MessageKind.BET_CANCEL:
        start, end = raw.get("start"), raw.get("end")
        return BetCancel(
            **common,
            markets=refs,
            start=_datetime(start) if start else None,
            end=_datetime(end) if end else None,
        )
    if kind is MessageKind.ROLLBACK_BET_SETTLEMENT:
        return RollbackBetSettlement(**common, markets=refs)
    return RollbackBetCancel(**common, markets=refs)


def _datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("feed times are timezone-aware")
    return parsed


def _fixture(raw: Mapping[str, Any]) -> Fixture:
    return Fixture(
        sport_key=raw["sport_key"],
        sport_name=raw["sport_name"],
        competition_key=raw["competition_key"],
        competition_name=raw["competition_name"],
        name=raw["name"],
        starts_at=_datetime(raw["starts_at"]),
        home=raw.get("home"),
        away=raw.get("away"),
        country=raw.get("country"),
    )


def _market_odds(raw: Mapping[str, Any]) -> MarketOdds:
    return MarketOdds(
        type=raw["type"],
        name=raw["name"],
        status=raw["status"],
        specifiers=raw.get("specifiers", ""),
        place_terms=_place_terms(raw["place_terms"]) if raw.get("place_terms") else None,
        outcomes=tuple(
            OutcomeOdds(o["key"], o["name"], _odds(o["odds"]), bool(o.get("active", True)))
            for o in raw["outcomes"]
        ),
    )


def _market_result(raw: Mapping[str, Any]) -> MarketResult:
    return MarketResult(
        type=raw["type"],
        specifiers=raw.get("specifiers", ""),
        outcomes=tuple(
            OutcomeResult(
                o["key"],
                _result(o["result"]),
                _void_factor(o.get("void_factor", "0")),
                _dead_heat_factor(o.get("dead_heat_factor", "1")),
                _position(o["place"]) if o.get("place") is not None else None,
            )
            for o in raw["outcomes"]
        ),
    )


# ---- values that can be applied ----------------------------------------------------------
# Each raises ValueError (InvalidFeedMessage to the caller) for a value no retry could
# ever apply. Decimals come as strings: a float or bool on the wire is refused too.


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("feed decimals are strings")
    parsed = Decimal(value)
    if not parsed.is_finite():
        raise ValueError("NaN and infinities are never odds or factors")
    return parsed


def _odds(value: Any) -> Decimal:
    """Odds of 1 or less mean "not offered" (domain.sportsbook.feed.processing)."""
    odds = _decimal(value)
    if not 0 <= odds <= ODDS_MAX:
        raise ValueError("odds out of range")
    return odds


def _result(value: Any) -> int:
    if value not in (0, 1) or isinstance(value, bool):
        raise ValueError("a result is 0 or 1")
    return int(value)


def _void_factor(value: Any) -> Decimal:
    factor = _decimal(value)
    if factor not in VOID_FACTORS:
        raise ValueError("a void factor is 0, 0.5 or 1")
    return factor


def _dead_heat_factor(value: Any) -> Decimal:
    factor = _decimal(value)
    if not 0 < factor <= 1:
        raise ValueError("a dead-heat factor is in (0, 1]")
    return factor


def _sequence(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("a sequence is a non-negative integer")
    return value


def _object(value: Any) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("a score or clock is an object")
    return value


def _place_terms(raw: Mapping[str, Any]) -> PlaceTerms:
    places, fraction = raw["places"], raw["fraction"]
    if type(places) is not int or not 1 <= places <= PLACES_MAX:
        raise ValueError(f"places are 1 to {PLACES_MAX}")
    if not isinstance(fraction, str):
        raise ValueError('a place fraction is a string such as "1/5"')
    numerator, denominator = (_term(part) for part in fraction.split("/"))
    if not 0 < numerator <= denominator:
        raise ValueError("a place fraction is in (0, 1]")
    return PlaceTerms(places, Fraction(numerator, denominator))


def _term(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= FRACTION_TERM_MAX:
        raise ValueError("a fraction's terms are small positive integers")
    return int(text)


def _position(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= POSITION_MAX:
        raise ValueError("a finishing position is a positive integer")
    return value
