"""Applying odds feed messages (domain.sportsbook.feed.port) to the book.

Idempotent: each message is claimed by (producer, message id) in the transaction that
applies it, so a redelivery, by the feed or by the broker, changes nothing.

In order per event: the event row is locked first, so messages about one event apply one
at a time, and each carries the feed's sequence. State messages (odds_change, bet_stop,
fixture_change) older than the event's last applied sequence are ignored: the newest state
wins, and a gap is fine because each one carries the full state it is about. Result
messages (bet_settlement, bet_cancel and their rollbacks) set their market's results or
cancellation register, each stamped with its sequence (domain.sportsbook.feed.results), so
a late settlement cannot undo a newer rollback while odds keep moving, and the registers
end as producer order says whatever the delivery order; `sportsbook.correct_market` then
brings the market's bets into line, one run at a time.

Events, markets and outcomes are upserted by the feed's event reference, the market's
(type, specifiers) and the outcome's key. Our margin per market type
(domain.sportsbook.trading) re-prices the feed's odds; a trader's override holds.

Traders are a producer of their own (`TRADER_PRODUCER`, domain.sportsbook.booking and
resulting): what they create, price and result goes through this same path, so a
trader's settlement and its rollback converge exactly as the feed's do. Two differences:
a trader's prices are the book's own (no margin on them, and they are not the feed's
price), and a trader's state message is not ordered against the feed's sequence (a
trader acts now, on the state the trader saw; bumping the event's sequence would make the
feed's next message look late).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit
from domain.sportsbook.feed import heartbeats, results
from domain.sportsbook.feed.events import EventUpdated, OddsChanged
from domain.sportsbook.feed.port import (
    TRADER_PRODUCER,
    Alive,
    BetCancel,
    BetSettlement,
    BetStop,
    FeedMessage,
    Fixture,
    FixtureChange,
    MarketOdds,
    MarketRef,
    OddsChange,
    RollbackBetCancel,
    RollbackBetSettlement,
    SnapshotComplete,
)
from domain.sportsbook.models import (
    Competition,
    Event,
    EventStatus,
    Market,
    MarketStatus,
    Outcome,
    OutcomeStatus,
    Sport,
    SuspensionReason,
)
from domain.sportsbook.models import (
    FeedMessage as FeedMessageRow,
)
from domain.sportsbook.trading import margins_for, with_margin

log = logging.getLogger(__name__)

FEED_MARKET_STATUSES = frozenset(
    {MarketStatus.ACTIVE, MarketStatus.SUSPENDED, MarketStatus.DEACTIVATED}
)
CLOSED_MARKET_STATUSES = frozenset({MarketStatus.SETTLED.value, MarketStatus.CANCELLED.value})


class Applied(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this message id was applied before
    STALE = "stale"  # older than what the event (or market) already shows
    UNKNOWN_EVENT = "unknown_event"  # about an event we have no fixture for


@dataclass
class _Changes:
    """What one message changed, for the outbox."""

    outcomes: list[dict[str, Any]] = field(default_factory=list)
    markets: list[dict[str, Any]] = field(default_factory=list)
    event_changed: bool = False


async def process_message(uow: UnitOfWork, message: FeedMessage) -> Applied:
    """Apply one feed message (see the module docstring). Flushes, never commits."""
    if not await _claim(uow, message):
        return Applied.DUPLICATE
    if isinstance(message, Alive | SnapshotComplete):
        # A snapshot_complete's effect is the producer's (domain.sportsbook.feed.producers),
        # not the book's.
        if isinstance(message, Alive):
            await heartbeats.record_alive(
                uow, message.producer, now=clock.now(), subscribed=message.subscribed
            )
        return Applied.APPLIED
    fixture = message.fixture if isinstance(message, OddsChange | FixtureChange) else None
    event = await _event(uow, message.event_ref, fixture)
    if event is None:
        log.info("feed message %s about unknown event %s", message.message_id, message.event_ref)
        return Applied.UNKNOWN_EVENT
    if isinstance(message, OddsChange | BetStop | FixtureChange):
        if message.producer != TRADER_PRODUCER:
            if message.sequence <= event.feed_sequence:
                return Applied.STALE
            event.feed_sequence = message.sequence
        changes = await _apply_state(uow, event, message)
        await _emit_changes(uow, event, changes)
        await uow.flush()
        return Applied.APPLIED
    applied = await _apply_results(uow, event, message)
    await uow.flush()
    return Applied.APPLIED if applied else Applied.STALE


async def _claim(uow: UnitOfWork, message: FeedMessage) -> bool:
    claimed = await uow.session.scalar(
        insert(FeedMessageRow)
        .values(producer=message.producer, message_id=message.message_id, kind=message.kind)
        .on_conflict_do_nothing()
        .returning(FeedMessageRow.message_id)
    )
    return claimed is not None


# ---- the catalogue -----------------------------------------------------------------------


async def _event(uow: UnitOfWork, event_ref: str, fixture: Fixture | None) -> Event | None:
    """The event FOR UPDATE (messages about it apply one at a time), created from the
    fixture when the feed mentions it for the first time."""
    if fixture is not None:
        competition_id = await _competition(uow, fixture)
        await uow.session.execute(
            insert(Event)
            .values(
                competition_id=competition_id,
                feed_ref=event_ref,
                name=fixture.name,
                home=fixture.home,
                away=fixture.away,
                status=EventStatus.SCHEDULED.value,
                starts_at=fixture.starts_at,
            )
            .on_conflict_do_nothing(index_elements=["feed_ref"])
        )
    return await uow.session.scalar(
        select(Event).where(Event.feed_ref == event_ref).with_for_update()
    )


async def _competition(uow: UnitOfWork, fixture: Fixture) -> int:
    await uow.session.execute(
        insert(Sport)
        .values(key=fixture.sport_key, name=fixture.sport_name)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    sport_id = await uow.session.scalar(select(Sport.id).where(Sport.key == fixture.sport_key))
    await uow.session.execute(
        insert(Competition)
        .values(
            sport_id=sport_id,
            key=fixture.competition_key,
            name=fixture.competition_name,
            country=fixture.country,
        )
        .on_conflict_do_nothing(index_elements=["sport_id", "key"])
    )
    competition_id = await uow.session.scalar(
        select(Competition.id).where(
            Competition.sport_id == sport_id, Competition.key == fixture.competition_key
        )
    )
    assert competition_id is not None
    return competition_id


async def _market(
    uow: UnitOfWork, event_id: int, market_type: str, specifiers: str
) -> Market | None:
    return await uow.session.scalar(
        select(Market)
        .where(
            Market.event_id == event_id, Market.type == market_type, Market.specifiers == specifiers
        )
        .with_for_update()
    )


# ---- state: odds, statuses, fixtures -----------------------------------------------------


async def _apply_state(
    uow: UnitOfWork, event: Event, message: OddsChange | BetStop | FixtureChange
) -> _Changes:
    changes = _Changes()
    if isinstance(message, FixtureChange):
        _apply_fixture(event, message.fixture, changes)
    if isinstance(message, OddsChange | FixtureChange):
        _apply_event_status(event, message.event_status, changes)
    if isinstance(message, OddsChange):
        if message.score is not None and dict(message.score) != event.score:
            event.score = dict(message.score)
            changes.event_changed = True
        if message.clock is not None and dict(message.clock) != event.clock:
            event.clock = dict(message.clock)
            changes.event_changed = True
        margins = (
            {}
            if message.producer == TRADER_PRODUCER
            else await margins_for(uow, {m.type for m in message.markets})
        )
        for market_odds in message.markets:
            await _apply_market(
                uow, event, producer=message.producer, odds=market_odds, margins=margins,
                changes=changes,
            )  # fmt: skip
    if isinstance(message, BetStop):
        await _stop_bets(uow, event, message.market_types, changes)
    return changes


def _apply_fixture(event: Event, fixture: Fixture, changes: _Changes) -> None:
    fields = {
        "name": fixture.name,
        "home": fixture.home,
        "away": fixture.away,
        "starts_at": fixture.starts_at,
    }
    for name, value in fields.items():
        if getattr(event, name) != value:
            setattr(event, name, value)
            changes.event_changed = True


def _apply_event_status(event: Event, status: str | None, changes: _Changes) -> None:
    if status is None or status == event.status:
        return
    if status not in set(EventStatus):
        log.warning("feed event %s: unknown status %r ignored", event.feed_ref, status)
        return
    event.status = status
    changes.event_changed = True


async def _apply_market(
    uow: UnitOfWork,
    event: Event,
    *,
    producer: str,
    odds: MarketOdds,
    margins: dict[str, Decimal],
    changes: _Changes,
) -> None:
    if odds.status not in FEED_MARKET_STATUSES:
        log.warning("feed market %s/%s: unknown status %r", event.feed_ref, odds.type, odds.status)
        return
    market = await _market(uow, event.id, odds.type, odds.specifiers)
    if market is None:
        market = Market(
            event_id=event.id,
            type=odds.type,
            specifiers=odds.specifiers,
            name=odds.name,
            status=MarketStatus.SUSPENDED.value,
            suspended_by=SuspensionReason.FEED.value,
        )
        uow.session.add(market)
        await uow.flush()
    if market.status in CLOSED_MARKET_STATUSES:
        return  # results decide a closed market now, not prices
    market.feed_producer = producer
    by_trader = producer == TRADER_PRODUCER
    if by_trader:
        market.name = odds.name
    else:
        market.feed_status = odds.status  # shown beside a trader's suspension
    if odds.place_terms is not None:
        _apply_place_terms(market, odds, changes)
    _apply_market_status(market, MarketStatus(odds.status), changes)
    await _apply_outcomes(uow, market, odds, margins.get(odds.type), changes, by_trader=by_trader)


def _apply_place_terms(market: Market, odds: MarketOdds, changes: _Changes) -> None:
    """New each-way terms apply to bets placed from now on (each leg keeps the terms it
    was placed on)."""
    assert odds.place_terms is not None
    terms = (
        odds.place_terms.places,
        odds.place_terms.fraction.numerator,
        odds.place_terms.fraction.denominator,
    )
    if terms != (
        market.each_way_places,
        market.each_way_fraction_numerator,
        market.each_way_fraction_denominator,
    ):
        (
            market.each_way_places,
            market.each_way_fraction_numerator,
            market.each_way_fraction_denominator,
        ) = terms
        changes.event_changed = True


def _apply_market_status(market: Market, status: MarketStatus, changes: _Changes) -> None:
    """The feed lifts only its own suspensions: a trader's holds until the trader resumes,
    a heartbeat's until the producer is back, a recovery's until the recovery completes."""
    before = market.status
    held = market.status == MarketStatus.SUSPENDED and market.suspended_by in (
        SuspensionReason.TRADER,
        SuspensionReason.HEARTBEAT,
        SuspensionReason.RECOVERY,
    )
    if status is MarketStatus.ACTIVE and not held:
        market.status, market.suspended_by = MarketStatus.ACTIVE.value, None
    elif status is MarketStatus.SUSPENDED and market.suspended_by != SuspensionReason.TRADER:
        market.status, market.suspended_by = status.value, SuspensionReason.FEED.value
    elif status is MarketStatus.DEACTIVATED:
        market.status, market.suspended_by = status.value, None
    if market.status != before:
        changes.markets.append({"market_id": market.id, "status": market.status})


async def _apply_outcomes(
    uow: UnitOfWork,
    market: Market,
    odds: MarketOdds,
    margin: Decimal | None,
    changes: _Changes,
    *,
    by_trader: bool = False,
) -> None:
    existing = {
        o.key: o
        for o in await uow.session.scalars(
            select(Outcome).where(Outcome.market_id == market.id).with_for_update()
        )
    }
    feed_odds = {o.key: o.odds for o in odds.outcomes if o.odds > 1}
    priced = with_margin(feed_odds, margin)
    for outcome_odds in odds.outcomes:
        if outcome_odds.key not in priced:
            continue  # odds of 1 or less: not offered
        status = OutcomeStatus.ACTIVE if outcome_odds.active else OutcomeStatus.SUSPENDED
        outcome = existing.get(outcome_odds.key)
        if outcome is None:
            outcome = Outcome(
                market_id=market.id,
                key=outcome_odds.key,
                name=outcome_odds.name,
                odds=priced[outcome_odds.key],
                status=status.value,
                odds_overridden=False,
            )
            uow.session.add(outcome)
            await uow.flush()
            before: tuple[Decimal | None, str | None] = (None, None)
        else:
            before = (outcome.odds, outcome.status)
        if by_trader:
            outcome.name = outcome_odds.name  # a trader's price is the book's, not the feed's
        else:
            outcome.feed_odds = outcome_odds.odds
        if by_trader or not outcome.odds_overridden:
            outcome.odds = priced[outcome_odds.key]
        outcome.status = status.value
        if (outcome.odds, outcome.status) != before:
            changes.outcomes.append(_outcome_change(outcome, market))


def _outcome_change(outcome: Outcome, market: Market) -> dict[str, Any]:
    return {
        "outcome_id": outcome.id,
        "market_id": market.id,
        "odds": str(outcome.odds),
        "status": outcome.status,
        "market_status": market.status,
    }


async def _stop_bets(
    uow: UnitOfWork, event: Event, market_types: Sequence[str], changes: _Changes
) -> None:
    statement = select(Market).where(
        Market.event_id == event.id, Market.status == MarketStatus.ACTIVE.value
    )
    if market_types:
        statement = statement.where(Market.type.in_(market_types))
    for market in await uow.session.scalars(statement.order_by(Market.id).with_for_update()):
        market.status = MarketStatus.SUSPENDED.value
        market.suspended_by = SuspensionReason.FEED.value
        changes.markets.append({"market_id": market.id, "status": market.status})


async def _emit_changes(uow: UnitOfWork, event: Event, changes: _Changes) -> None:
    if changes.outcomes:
        await emit(uow, OddsChanged(event_id=event.id, outcomes=changes.outcomes), brand=None)
    if changes.event_changed or changes.markets:
        await emit_event_updated(uow, event, changes.markets)


async def emit_event_updated(uow: UnitOfWork, event: Event, markets: list[dict[str, Any]]) -> None:
    await emit(
        uow,
        EventUpdated(event_id=event.id, status=event.status, score=event.score, markets=markets),
        brand=None,
    )


# ---- results: settlement, cancellation, their rollbacks ----------------------------------


async def _apply_results(
    uow: UnitOfWork,
    event: Event,
    message: BetSettlement | BetCancel | RollbackBetSettlement | RollbackBetCancel,
) -> bool:
    """Record what the message says of each market it names (domain.sportsbook.feed.results
    then brings the bets into line); returns whether any market took it."""
    if isinstance(message, BetSettlement):
        named = [(MarketRef(m.type, m.specifiers), m.outcomes) for m in message.markets]
    else:
        named = [(ref, ()) for ref in message.markets]
    changes = _Changes()
    applied = False
    for ref, outcomes in named:
        market = await _market(uow, event.id, ref.type, ref.specifiers)
        if market is None or not await results.want(uow, market, message, outcomes):
            continue
        applied = True
        windowed = isinstance(message, BetCancel) and (message.start or message.end)
        # No bet is taken on a market whose results or cancellation are being corrected
        # until the feed prices it again. Every such message suspends it, so whichever of
        # a burst arrives first does, whatever the delivery order. (A cancellation of a
        # window only voids what was placed in it: the market trades on.)
        if not windowed and market.status == MarketStatus.ACTIVE:
            market.status = MarketStatus.SUSPENDED.value
            market.suspended_by = SuspensionReason.FEED.value
            changes.markets.append({"market_id": market.id, "status": market.status})
    if changes.markets:
        await emit_event_updated(uow, event, changes.markets)
    return applied
