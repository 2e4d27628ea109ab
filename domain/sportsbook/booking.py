"""The catalogue by hand: traders create and edit sports, competitions, events and
markets (with outcomes, prices and each-way place terms), start and end events and set
their score.

Who may: the platform trading desk (MARKET_TRADE over every brand), as for every other
change to the shared book (domain.sportsbook.trading). Every action is audited with its
reason.

One path with the feed: events, their state and markets are written by the feed's own
processing (domain.sportsbook.feed.processing), fed a message from the producer
`TRADER_PRODUCER`; an event a trader creates gets a reference of the trader's
(`trader:<hex>`), as a feed's event has the feed's. So what a trader builds is priced,
suspended, resulted and corrected by the same code as what a feed builds. Sports and
competitions are reference data and are inserted here (the feed upserts them from its
fixtures the same way).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.permissions import Permission
from domain.accounts.principal import EVERY_BRAND, Principal, require_permission
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError, NotFound
from domain.sportsbook import odds as odds_math
from domain.sportsbook.errors import InvalidOdds, MarketNotFound
from domain.sportsbook.feed.port import (
    FRACTION_TERM_MAX,
    PLACES_MAX,
    TRADER_PRODUCER,
    Fixture,
    FixtureChange,
    MarketOdds,
    OddsChange,
    OutcomeOdds,
    PlaceTerms,
)
from domain.sportsbook.feed.processing import Applied, process_message
from domain.sportsbook.models import (
    Competition,
    Event,
    EventStatus,
    Market,
    MarketStatus,
    Sport,
)
from domain.sportsbook.trading import EventNotFound, MarketNotTradable

KEY = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
# One or more `name=value` pairs joined by `|`, e.g. "total=2.5" or "hcp=-0.25".
SPECIFIERS = re.compile(
    r"[a-z_]{1,32}=[A-Za-z0-9.+\-]{1,32}(\|[a-z_]{1,32}=[A-Za-z0-9.+\-]{1,32})*"
)
NAME_LENGTH_MAX = 200
OUTCOMES_MAX = 100
SCORE_MAX = 10_000
CLOCK_PERIOD = re.compile(r"[A-Za-z0-9]{1,8}")
CLOCK_MINUTE_MAX = 1_000


class SportNotFound(NotFound):
    code = "SPORT_NOT_FOUND"
    message = "No such sport."


class CompetitionNotFound(NotFound):
    code = "COMPETITION_NOT_FOUND"
    message = "No such competition."


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"
    message = "One with this key already exists."


class InvalidPlaceTerms(DomainError):
    code = "INVALID_PLACE_TERMS"
    message = (
        f"Place terms are 1 to {PLACES_MAX} places at a fraction n/d of the odds, "
        f"0 < n <= d <= {FRACTION_TERM_MAX}."
    )


class InvalidOutcomes(DomainError):
    code = "INVALID_OUTCOMES"
    message = f"A market has 1 to {OUTCOMES_MAX} outcomes with distinct keys."


class MarketFedByFeed(DomainError):
    code = "MARKET_FED_BY_FEED"
    message = "The feed prices this market: override an outcome's odds instead."


class InvalidScore(DomainError):
    code = "INVALID_SCORE"
    message = "A score is two counts from 0, a clock a short period name and a minute."


@dataclass(frozen=True)
class OutcomeSpec:
    key: str
    name: str
    odds: Decimal


@dataclass(frozen=True)
class MarketSpec:
    type: str
    name: str
    specifiers: str
    outcomes: Sequence[OutcomeSpec]
    place_terms: PlaceTerms | None = None


# ---- checks (pure) -----------------------------------------------------------------------


def _key(value: str, field: str) -> str:
    if not KEY.fullmatch(value):
        raise DomainError("A key is 1 to 64 lowercase letters, digits, '_' or '-'.", field=field)
    return value


def _name(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > NAME_LENGTH_MAX or not cleaned.isprintable():
        raise DomainError(f"A name is 1 to {NAME_LENGTH_MAX} printable characters.", field=field)
    return cleaned


def check_place_terms(places: int, numerator: int, denominator: int) -> PlaceTerms:
    """Errors: InvalidPlaceTerms."""
    if not (1 <= places <= PLACES_MAX and 0 < numerator <= denominator <= FRACTION_TERM_MAX):
        raise InvalidPlaceTerms(field="placeTerms")
    return PlaceTerms(places, Fraction(numerator, denominator))


def _market_odds(spec: MarketSpec, status: MarketStatus) -> MarketOdds:
    """The spec as the feed's market message. Errors: DomainError (type, specifiers,
    names), InvalidOutcomes, InvalidOdds."""
    _key(spec.type, "type")
    if spec.specifiers and not SPECIFIERS.fullmatch(spec.specifiers):
        raise DomainError('Specifiers are name=value pairs joined by "|".', field="specifiers")
    keys = [outcome.key for outcome in spec.outcomes]
    if not 1 <= len(keys) <= OUTCOMES_MAX or len(set(keys)) != len(keys):
        raise InvalidOutcomes(field="outcomes")
    for outcome in spec.outcomes:
        _key(outcome.key, "outcomes")
        if not odds_math.is_valid(outcome.odds):
            raise InvalidOdds(field="outcomes")
    return MarketOdds(
        type=spec.type,
        name=_name(spec.name, "name"),
        status=status.value,
        specifiers=spec.specifiers,
        place_terms=spec.place_terms,
        outcomes=tuple(
            OutcomeOdds(o.key, _name(o.name, "outcomes"), o.odds) for o in spec.outcomes
        ),
    )


def _score(score: Mapping[str, int], match_clock: Mapping[str, Any] | None) -> None:
    counts_ok = set(score) == {"home", "away"} and all(
        type(v) is int and 0 <= v <= SCORE_MAX for v in score.values()
    )
    clock_ok = match_clock is None or (
        set(match_clock) == {"period", "minute"}
        and isinstance(match_clock["period"], str)
        and CLOCK_PERIOD.fullmatch(match_clock["period"]) is not None
        and type(match_clock["minute"]) is int
        and 0 <= match_clock["minute"] <= CLOCK_MINUTE_MAX
    )
    if not (counts_ok and clock_ok):
        raise InvalidScore(field="score")


# ---- the trader's messages ---------------------------------------------------------------


def desk_staff(actor: Principal | None, reason: str) -> tuple[Principal, str]:
    staff = require_permission(actor, Permission.MARKET_TRADE, EVERY_BRAND)
    return staff, audit.audit_reason(reason)


async def record_action(
    uow: UnitOfWork, staff: Principal, action: str, subject: tuple[str, object], *,
    reason: str, before: Mapping[str, Any], after: Mapping[str, Any],
) -> None:  # fmt: skip
    await audit.record(
        uow, actor_kind=staff.actor_kind, actor_id=staff.id, action=action,
        subject_type=subject[0], subject_id=str(subject[1]), brand=None, reason=reason,
        before=dict(before), after=dict(after),
    )  # fmt: skip


def trader_fields(event_ref: str, sequence: int) -> dict[str, Any]:
    """The envelope of a trader's feed message (a fresh message id each time)."""
    return {
        "producer": TRADER_PRODUCER,
        "message_id": uuid.uuid4().hex,
        "event_ref": event_ref,
        "sequence": sequence,
        "sent_at": clock.now(),
    }


async def event_ref_of(uow: UnitOfWork, event_id: int) -> tuple[Event, str]:
    """The event and the reference trader messages name it by: the feed's, or one of the
    trader's given now to an event that has none. Errors: EventNotFound."""
    event = await uow.session.get(Event, event_id)
    if event is None:
        raise EventNotFound(field="eventId")
    if event.feed_ref is None:
        event.feed_ref = f"trader:{uuid.uuid4().hex}"
        await uow.flush()
    return event, event.feed_ref


async def _apply(uow: UnitOfWork, message: OddsChange | FixtureChange) -> None:
    applied = await process_message(uow, message)
    assert applied is Applied.APPLIED, f"a trader's message applies at once, not {applied}"


async def _fixture(uow: UnitOfWork, competition_id: int, **event: Any) -> Fixture:
    found = (
        await uow.session.execute(
            select(Competition, Sport)
            .join(Sport, Sport.id == Competition.sport_id)
            .where(Competition.id == competition_id)
        )
    ).first()
    if found is None:
        raise CompetitionNotFound(field="competitionId")
    competition, sport = found
    return Fixture(
        sport_key=sport.key, sport_name=sport.name, competition_key=competition.key,
        competition_name=competition.name, country=competition.country, **event,
    )  # fmt: skip


# ---- sports and competitions -------------------------------------------------------------


async def create_sport(
    uow: UnitOfWork, actor: Principal | None, *, key: str, name: str, reason: str
) -> Sport:
    """Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired,
    PasswordChangeRequired, ReasonRequired, DomainError (reason, key, name), AlreadyExists."""
    staff, cleaned = desk_staff(actor, reason)
    values = {"key": _key(key, "key"), "name": _name(name, "name")}
    sport_id = await uow.session.scalar(
        insert(Sport).values(**values).on_conflict_do_nothing().returning(Sport.id)
    )
    if sport_id is None:
        raise AlreadyExists(field="key")
    await record_action(
        uow, staff, "sportsbook.sport.create", ("sportsbook_sport", sport_id),
        reason=cleaned, before={}, after=values,
    )  # fmt: skip
    return await uow.session.get_one(Sport, sport_id)


async def create_competition(
    uow: UnitOfWork, actor: Principal | None, sport_id: int, *,
    key: str, name: str, country: str | None, reason: str,
) -> Competition:  # fmt: skip
    """Errors: those of create_sport, SportNotFound."""
    staff, cleaned = desk_staff(actor, reason)
    if await uow.session.get(Sport, sport_id) is None:
        raise SportNotFound(field="sportId")
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise DomainError("A country is an ISO 3166 alpha-2 code.", field="country")
    values = {"key": _key(key, "key"), "name": _name(name, "name"), "country": country}
    competition_id = await uow.session.scalar(
        insert(Competition)
        .values(sport_id=sport_id, **values)
        .on_conflict_do_nothing()
        .returning(Competition.id)
    )
    if competition_id is None:
        raise AlreadyExists(field="key")
    await record_action(
        uow, staff, "sportsbook.competition.create", ("sportsbook_competition", competition_id),
        reason=cleaned, before={}, after={"sport_id": sport_id, **values},
    )  # fmt: skip
    return await uow.session.get_one(Competition, competition_id)


# ---- events ------------------------------------------------------------------------------


def _event_fields(event: Event) -> dict[str, Any]:
    return {
        "name": event.name, "home": event.home, "away": event.away,
        "starts_at": event.starts_at.isoformat(), "status": event.status,
    }  # fmt: skip


async def create_event(
    uow: UnitOfWork, actor: Principal | None, competition_id: int, *,
    name: str, home: str | None, away: str | None, starts_at: datetime, reason: str,
) -> Event:  # fmt: skip
    """A fixture of the trader's, scheduled. Errors: those of create_sport but
    AlreadyExists, CompetitionNotFound."""
    staff, cleaned = desk_staff(actor, reason)
    fixture = await _fixture(
        uow, competition_id, name=_name(name, "name"),
        home=_name(home, "home") if home is not None else None,
        away=_name(away, "away") if away is not None else None, starts_at=starts_at,
    )  # fmt: skip
    ref = f"trader:{uuid.uuid4().hex}"
    await _apply(uow, FixtureChange(**trader_fields(ref, 0), fixture=fixture))
    event = await uow.session.scalar(select(Event).where(Event.feed_ref == ref))
    assert event is not None
    await record_action(
        uow, staff, "sportsbook.event.create", ("sportsbook_event", event.id),
        reason=cleaned, before={}, after=_event_fields(event),
    )  # fmt: skip
    return event


async def edit_event(
    uow: UnitOfWork, actor: Principal | None, event_id: int, *,
    name: str | None = None, home: str | None = None, away: str | None = None,
    starts_at: datetime | None = None, status: EventStatus | None = None, reason: str,
) -> Event:  # fmt: skip
    """Change what is given (None: unchanged); a status starts (LIVE), ends (ENDED) or
    cancels the event. Errors: those of create_event but CompetitionNotFound,
    EventNotFound."""
    staff, cleaned = desk_staff(actor, reason)
    event, ref = await event_ref_of(uow, event_id)
    before = _event_fields(event)
    fixture = await _fixture(
        uow, event.competition_id,
        name=_name(name, "name") if name is not None else event.name,
        home=_name(home, "home") if home is not None else event.home,
        away=_name(away, "away") if away is not None else event.away,
        starts_at=starts_at or event.starts_at,
    )  # fmt: skip
    await _apply(
        uow,
        FixtureChange(
            **trader_fields(ref, event.feed_sequence),
            fixture=fixture,
            event_status=status.value if status is not None else None,
        ),
    )
    await uow.session.refresh(event)
    await record_action(
        uow, staff, "sportsbook.event.edit", ("sportsbook_event", event.id),
        reason=cleaned, before=before, after=_event_fields(event),
    )  # fmt: skip
    return event


async def set_score(
    uow: UnitOfWork, actor: Principal | None, event_id: int, *,
    score: Mapping[str, int], match_clock: Mapping[str, Any] | None, reason: str,
) -> Event:  # fmt: skip
    """The live score (and clock), as the feed would send them. Errors: those of
    edit_event, InvalidScore."""
    staff, cleaned = desk_staff(actor, reason)
    _score(score, match_clock)
    event, ref = await event_ref_of(uow, event_id)
    before = {"score": dict(event.score), "clock": dict(event.clock)}
    await _apply(
        uow,
        OddsChange(**trader_fields(ref, event.feed_sequence), score=score, clock=match_clock),
    )
    await uow.session.refresh(event)
    await record_action(
        uow, staff, "sportsbook.event.score", ("sportsbook_event", event.id),
        reason=cleaned, before=before, after={"score": event.score, "clock": event.clock},
    )  # fmt: skip
    return event


# ---- markets -----------------------------------------------------------------------------


def _market_fields(market: Market) -> dict[str, Any]:
    terms = None
    if market.each_way_places is not None:
        terms = (
            f"{market.each_way_places} at "
            f"{market.each_way_fraction_numerator}/{market.each_way_fraction_denominator}"
        )
    return {"name": market.name, "status": market.status, "place_terms": terms}


async def create_market(
    uow: UnitOfWork, actor: Principal | None, event_id: int, spec: MarketSpec, *, reason: str
) -> Market:
    """A market of the trader's, open for bets at the prices given. Errors: those of
    edit_event, InvalidOutcomes, InvalidOdds, AlreadyExists (the event has a market of
    this type and specifiers)."""
    staff, cleaned = desk_staff(actor, reason)
    odds = _market_odds(spec, MarketStatus.ACTIVE)
    event, ref = await event_ref_of(uow, event_id)
    existing = await _market_id(uow, event_id, spec.type, spec.specifiers)
    if existing is not None:
        raise AlreadyExists(field="type")
    await _apply(uow, OddsChange(**trader_fields(ref, event.feed_sequence), markets=(odds,)))
    market_id = await _market_id(uow, event_id, spec.type, spec.specifiers)
    assert market_id is not None
    market = await uow.session.get_one(Market, market_id)
    await record_action(
        uow, staff, "sportsbook.market.create", ("sportsbook_market", market.id),
        reason=cleaned, before={},
        after={**_market_fields(market), "odds": {o.key: str(o.odds) for o in spec.outcomes}},
    )  # fmt: skip
    return market


async def edit_market(
    uow: UnitOfWork, actor: Principal | None, market_id: int, spec: MarketSpec, *, reason: str
) -> Market:
    """Rename a trader's market, change its place terms (for bets placed from now on) and
    reprice or add outcomes (those not named keep their price). Type and specifiers name
    the market and stay. Errors: those of create_market but AlreadyExists, and
    MarketNotFound, MarketNotTradable, MarketFedByFeed (override the feed's odds instead)."""
    staff, cleaned = desk_staff(actor, reason)
    market = await uow.session.get(Market, market_id)
    if market is None:
        raise MarketNotFound(field="marketId")
    if market.status not in (MarketStatus.ACTIVE, MarketStatus.SUSPENDED):
        raise MarketNotTradable(field="marketId")
    if market.feed_producer not in (None, TRADER_PRODUCER):
        raise MarketFedByFeed(field="marketId")
    spec = MarketSpec(
        type=market.type, name=spec.name, specifiers=market.specifiers,
        outcomes=spec.outcomes, place_terms=spec.place_terms,
    )  # fmt: skip
    # The status it has: a suspension (the trader's, a correction's) holds until resumed.
    status = MarketStatus(market.status)
    odds = _market_odds(spec, status)
    before = _market_fields(market)
    event, ref = await event_ref_of(uow, market.event_id)
    await _apply(uow, OddsChange(**trader_fields(ref, event.feed_sequence), markets=(odds,)))
    await uow.session.refresh(market)
    await record_action(
        uow, staff, "sportsbook.market.edit", ("sportsbook_market", market.id),
        reason=cleaned, before=before,
        after={**_market_fields(market), "odds": {o.key: str(o.odds) for o in spec.outcomes}},
    )  # fmt: skip
    return market


async def _market_id(
    uow: UnitOfWork, event_id: int, market_type: str, specifiers: str
) -> int | None:
    return await uow.session.scalar(
        select(Market.id).where(
            Market.event_id == event_id,
            Market.type == market_type,
            Market.specifiers == specifiers,
        )
    )
