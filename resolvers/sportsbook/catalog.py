"""Navigating the book: sports, competitions, events, markets and outcomes, each nested
field batched per request through a DataLoader (one statement per field and page, not
per parent)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from domain.kernel.db import UnitOfWork
from domain.sportsbook import catalog
from domain.sportsbook.models import Competition, Event, Market, Outcome, Sport
from resolvers.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def batched(
    ctx: Context,
    name: str,
    fetch: Callable[[UnitOfWork, list[K]], Awaitable[Mapping[K, V]]],
) -> DataLoader[K, V | None]:
    """The request's loader `name`: one unit of work and one `fetch` per batch of keys."""

    async def load(keys: Sequence[K]) -> list[V | None]:
        async with ctx.db.uow() as uow:
            found = await fetch(uow, list(keys))
        return [found.get(key) for key in keys]

    return ctx.loader(name, load)


async def sports(ctx: Context) -> list[Sport]:
    async with ctx.db.uow() as uow:
        return await catalog.sports(uow)


async def sport(ctx: Context, sport_id: int) -> Sport | None:
    return await batched(ctx, "sportsbook.sport", catalog.sports_by_id).load(sport_id)


async def competition(ctx: Context, competition_id: int) -> Competition | None:
    loader = batched(ctx, "sportsbook.competition", catalog.competitions_by_id)
    return await loader.load(competition_id)


async def event(ctx: Context, event_id: int) -> Event | None:
    return await batched(ctx, "sportsbook.event", catalog.events_by_id).load(event_id)


async def market(ctx: Context, market_id: int) -> Market | None:
    return await batched(ctx, "sportsbook.market", catalog.markets_by_id).load(market_id)


async def outcome(ctx: Context, outcome_id: int) -> Outcome | None:
    return await batched(ctx, "sportsbook.outcome", catalog.outcomes_by_id).load(outcome_id)


async def competitions_of(ctx: Context, sport_id: int) -> list[Competition]:
    loader = batched(ctx, "sportsbook.competitions_of", catalog.competitions_of)
    return await loader.load(sport_id) or []


async def markets_of(ctx: Context, event_id: int) -> list[Market]:
    return await batched(ctx, "sportsbook.markets_of", catalog.markets_of).load(event_id) or []


async def outcomes_of(ctx: Context, market_id: int) -> list[Outcome]:
    loader = batched(ctx, "sportsbook.outcomes_of", catalog.outcomes_of)
    return await loader.load(market_id) or []


@dataclass(frozen=True)
class EventListingShows:
    """What a list of events shows of each event, beyond its own columns."""

    markets: bool = False
    outcomes: bool = False
    competition: bool = False
    sport: bool = False


@dataclass(frozen=True)
class EventListing:
    """A page of events with what it shows of them, by parent id (None: not read)."""

    page: catalog.EventPage
    markets: Mapping[int, list[Market]] | None = None
    outcomes: Mapping[int, list[Outcome]] | None = None
    competitions: Mapping[int, Competition] | None = None
    sports: Mapping[int, Sport] | None = None


async def event_listing(
    ctx: Context, filters: catalog.EventFilter, shows: EventListingShows
) -> EventListing:
    """A page of events and, in the same unit of work, whichever of their markets, the
    markets' outcomes, their competitions and the competitions' sports it shows: the
    statements the loaders would send (one per level), without a loader round per level
    and a unit of work each."""
    markets = outcomes = competitions = sports = None
    async with ctx.db.uow() as uow:
        page = await catalog.event_page(uow, filters)
        event_ids = [row.id for row in page.events]
        if event_ids and shows.markets:
            markets = await catalog.markets_of(uow, event_ids)
            market_ids = [row.id for rows in markets.values() for row in rows]
            if market_ids and shows.outcomes:
                outcomes = await catalog.outcomes_of(uow, market_ids)
        if event_ids and shows.competition:
            competition_ids = sorted({row.competition_id for row in page.events})
            competitions = await catalog.competitions_by_id(uow, competition_ids)
            if shows.sport:
                sport_ids = sorted({row.sport_id for row in competitions.values()})
                sports = await catalog.sports_by_id(uow, sport_ids)
    return EventListing(page, markets, outcomes, competitions, sports)


async def _competition_pages(
    uow: UnitOfWork, keys: list[tuple[int, catalog.EventFilter]]
) -> dict[tuple[int, catalog.EventFilter], catalog.EventPage]:
    # Competitions asking for the same page share one windowed statement.
    by_filter: defaultdict[catalog.EventFilter, list[int]] = defaultdict(list)
    for competition_id, filters in keys:
        by_filter[filters].append(competition_id)
    found = {}
    for filters, competition_ids in by_filter.items():
        pages = await catalog.event_pages(uow, competition_ids, filters)
        for competition_id, page in pages.items():
            found[(competition_id, filters)] = page
    return found


async def competition_events(
    ctx: Context, competition_id: int, filters: catalog.EventFilter
) -> catalog.EventPage:
    loader = batched(ctx, "sportsbook.competition_events", _competition_pages)
    page = await loader.load((competition_id, filters))
    return page or catalog.EventPage([], has_next_page=False)
