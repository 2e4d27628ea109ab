"""Reads of the book for navigation: sports, competitions, events (keyset pages), markets
and outcomes, each batched by parent so a page of events with its markets and outcomes is
a fixed number of statements however many rows it shows. The book is shared by every
brand (no brand column): what a brand offers is filtered above this layer, if at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, select, tuple_

from domain.kernel import paging
from domain.kernel.db import UnitOfWork
from domain.kernel.paging import ID, INSTANT, check_page_size, decode_cursor, encode_cursor
from domain.sportsbook.models import (
    Competition,
    Event,
    EventStatus,
    Market,
    MarketStatus,
    Outcome,
    Sport,
)

RowT = TypeVar("RowT", bound=Any)

PAGE_SIZE_DEFAULT = 20
# The schema's argument docs cite it.
PAGE_SIZE_MAX = paging.PAGE_SIZE_MAX
# What a list shows without a status filter: events that still take bets.
OPEN_STATUSES = (EventStatus.SCHEDULED, EventStatus.LIVE)
# Markets a player never sees (taken down by the feed or a trader for good).
HIDDEN_MARKET_STATUSES = (MarketStatus.DEACTIVATED.value,)


@dataclass(frozen=True)
class EventCursor:
    """A position in the start-time order of events: (starts_at, id)."""

    starts_at: datetime
    event_id: int

    def encode(self) -> str:
        return encode_cursor("e1", self.starts_at, self.event_id)

    @classmethod
    def decode(cls, text: str) -> EventCursor:
        """Errors: InvalidCursor."""
        return cls(*decode_cursor(text, "e1", INSTANT, ID))


@dataclass(frozen=True)
class EventFilter:
    """Hashable: loaders batch the competitions that ask for the same page."""

    first: int
    after: EventCursor | None
    statuses: tuple[EventStatus, ...]
    starts_after: datetime | None

    @classmethod
    def of(
        cls,
        *,
        first: int,
        after: str | None,
        statuses: Sequence[EventStatus] | None,
        starts_after: datetime | None,
    ) -> EventFilter:
        """Errors: InvalidPageSize, InvalidCursor."""
        check_page_size(first)
        cursor = EventCursor.decode(after) if after is not None else None
        return cls(first, cursor, tuple(sorted(set(statuses or OPEN_STATUSES))), starts_after)


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    has_next_page: bool


async def sports(uow: UnitOfWork) -> list[Sport]:
    return list(await uow.session.scalars(select(Sport).order_by(Sport.name, Sport.id)))


async def sports_by_id(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, Sport]:
    rows = await uow.session.scalars(select(Sport).where(Sport.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def competitions_by_id(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, Competition]:
    rows = await uow.session.scalars(select(Competition).where(Competition.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def competitions_of(
    uow: UnitOfWork, sport_ids: Sequence[int]
) -> dict[int, list[Competition]]:
    found: dict[int, list[Competition]] = {sport: [] for sport in sport_ids}
    rows = await uow.session.scalars(
        select(Competition)
        .where(Competition.sport_id.in_(list(sport_ids)))
        .order_by(Competition.name, Competition.id)
    )
    for row in rows:
        found[row.sport_id].append(row)
    return found


async def events_by_id(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, Event]:
    rows = await uow.session.scalars(select(Event).where(Event.id.in_(list(ids))))
    return {row.id: row for row in rows}


def _filtered(statement: Select[RowT], filters: EventFilter) -> Select[RowT]:
    statement = statement.where(Event.status.in_([s.value for s in filters.statuses]))
    if filters.starts_after is not None:
        statement = statement.where(Event.starts_at > filters.starts_after)
    if filters.after is not None:
        statement = statement.where(
            tuple_(Event.starts_at, Event.id)
            > tuple_(filters.after.starts_at, filters.after.event_id)
        )
    return statement


async def event_page(uow: UnitOfWork, filters: EventFilter) -> EventPage:
    """Events of every competition, by start time."""
    rows = list(
        await uow.session.scalars(
            _filtered(select(Event), filters)
            .order_by(Event.starts_at, Event.id)
            .limit(filters.first + 1)
        )
    )
    return EventPage(rows[: filters.first], len(rows) > filters.first)


async def event_pages(
    uow: UnitOfWork, competition_ids: Sequence[int], filters: EventFilter
) -> dict[int, EventPage]:
    """The same page of events for each competition, in one statement (a window per
    competition)."""
    position = (
        func.row_number()
        .over(partition_by=Event.competition_id, order_by=(Event.starts_at, Event.id))
        .label("position")
    )
    ranked = (
        _filtered(select(Event.id, position), filters)
        .where(Event.competition_id.in_(list(competition_ids)))
        .subquery()
    )
    rows = await uow.session.scalars(
        select(Event)
        .join(ranked, and_(ranked.c.id == Event.id, ranked.c.position <= filters.first + 1))
        .order_by(Event.competition_id, Event.starts_at, Event.id)
    )
    grouped: dict[int, list[Event]] = {competition: [] for competition in competition_ids}
    for row in rows:
        grouped[row.competition_id].append(row)
    return {
        competition: EventPage(events[: filters.first], len(events) > filters.first)
        for competition, events in grouped.items()
    }


async def markets_of(uow: UnitOfWork, event_ids: Sequence[int]) -> dict[int, list[Market]]:
    found: dict[int, list[Market]] = {event: [] for event in event_ids}
    rows = await uow.session.scalars(
        select(Market)
        .where(
            Market.event_id.in_(list(event_ids)),
            Market.status.not_in(HIDDEN_MARKET_STATUSES),
        )
        .order_by(Market.id)
    )
    for row in rows:
        found[row.event_id].append(row)
    return found


async def markets_by_id(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, Market]:
    rows = await uow.session.scalars(select(Market).where(Market.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def outcomes_of(uow: UnitOfWork, market_ids: Sequence[int]) -> dict[int, list[Outcome]]:
    found: dict[int, list[Outcome]] = {market: [] for market in market_ids}
    rows = await uow.session.scalars(
        select(Outcome).where(Outcome.market_id.in_(list(market_ids))).order_by(Outcome.id)
    )
    for row in rows:
        found[row.market_id].append(row)
    return found


async def outcomes_by_id(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, Outcome]:
    rows = await uow.session.scalars(select(Outcome).where(Outcome.id.in_(list(ids))))
    return {row.id: row for row in rows}
