"""Sportsbook types: the book (Sport, Competition, SportsbookEvent, Market, Outcome) and
bets (Bet, BetLeg). Nested fields load through per-request DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Self, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain.accounts import models as accounts_models
from domain.sportsbook import bet_history, catalog, models, returns
from domain.sportsbook import odds as odds_math
from resolvers.context import Context
from resolvers.sportsbook import bets as bet_resolvers
from resolvers.sportsbook import catalog as catalog_resolvers
from schema.context import Info
from schema.errors import as_query_error
from schema.extensions import direct, prefetched
from schema.ids import int_keys
from schema.money import DecimalText, Money, decimal_or_nan
from schema.pagination import forward_connection

# The domain's enums are the GraphQL enums (registered in place), so values need no mapping.
EventStatus = strawberry.enum(models.EventStatus, name="SportsbookEventStatus")
MarketStatus = strawberry.enum(
    models.MarketStatus,
    name="MarketStatus",
    description="ACTIVE takes bets; SUSPENDED takes none for now (cash-out is unavailable).",
)
OutcomeStatus = strawberry.enum(models.OutcomeStatus, name="OutcomeStatus")
BetStatus = strawberry.enum(
    models.BetStatus,
    name="BetStatus",
    description="PENDING waits for the live-bet delay; OPEN runs; WON, LOST, VOID are "
    "settled; CASHED_OUT was settled early; CANCELLED and REFUSED had their stake returned.",
)
BetType = strawberry.enum(models.BetType, name="BetType")
OddsPolicy = strawberry.enum(
    models.OddsPolicy,
    name="OddsPolicy",
    description="What the bet accepts if the odds moved since they were shown: NONE only "
    "the odds shown, HIGHER those or better, ANY whatever they are now.",
)
LegResult = strawberry.enum(models.ResultKind, name="LegResult")
BetListStatus = strawberry.enum(
    bet_history.BetGroup,
    name="BetListStatus",
    description="OPEN: pending and open bets; SETTLED: every bet that is done.",
)


# The domain's enum is the GraphQL enum (registered in place).
OddsFormat = accounts_models.OddsFormat
strawberry.enum(OddsFormat, description="How odds are written.")


_FORMAT = strawberry.argument(
    description="Default: the viewer's preferred format (`Player.oddsFormat`; DECIMAL when "
    "signed out)."
)


def odds_in(odds: Decimal, format: OddsFormat) -> str:
    return odds_math.display(odds)[format.value]


async def _display_in_viewer_format(odds: Decimal, context: Context) -> str:
    return odds_math.display(odds)[(await context.odds_format()).value]


def display_of(root: Any, info: Any, format: OddsFormat | None = None) -> str | Awaitable[str]:
    """`display` without strawberry's per-call argument conversion (see `direct`). Without
    a format it stays synchronous once the request knows the viewer's format (signed out,
    or the principal already read); only the first fields of a request await the read."""
    if format is not None:
        return odds_in(root.odds, format)
    context: Context = info.context
    known = context.known_odds_format()
    if known is None:
        return _display_in_viewer_format(root.odds, context)
    return odds_math.display(root.odds)[known.value]


def odds_display_field(description: str | None = None) -> Any:
    """The `display(format:)` field of a type with `odds`: the odds written in `format`, or
    in the viewer's format when it is omitted. Resolved by `display_of` (see `direct`);
    strawberry's resolver, the documented one, gives the same answer through it."""

    async def display(
        self: Any, info: Info, format: Annotated[OddsFormat | None, _FORMAT] = None
    ) -> str:
        shown = display_of(self, info, format)
        return shown if isinstance(shown, str) else await shown

    return strawberry.field(resolver=display, description=description, metadata=direct(display_of))


def odds_value(text: DecimalText) -> Decimal:
    """Odds a client typed, exactly, or NaN (refused by the domain as InvalidOdds)."""
    return decimal_or_nan(
        text,
        places_max=-int(odds_math.ODDS_PLACES.as_tuple().exponent),
        integer_digits_max=len(str(int(odds_math.ODDS_MAX))),
    )


@strawberry.type(description="A sport, e.g. football.")
class Sport(relay.Node):
    id: relay.NodeID[str]
    key: str
    name: str

    @classmethod
    def from_model(cls, row: models.Sport) -> Self:
        return cls(id=str(row.id), key=row.key, name=row.name)

    @strawberry.field(description="Its competitions, by name.")
    async def competitions(self, info: Info) -> list[Competition]:
        rows = await catalog_resolvers.competitions_of(info.context, int(self.id))
        return [Competition.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = [await catalog_resolvers.sport(info.context, i) for i in int_keys(node_ids)]
        return [cls.from_model(row) if row else None for row in rows]


@strawberry.type(description="A competition (league, tournament) of a sport.")
class Competition(relay.Node):
    id: relay.NodeID[str]
    key: str
    name: str
    country: str | None
    _sport_id: strawberry.Private[int]
    # Read up front with a page of events (None: through the loader).
    _sport: strawberry.Private[Sport | None] = None

    @classmethod
    def from_model(cls, row: models.Competition, *, sport: Sport | None = None) -> Self:
        return cls(
            id=str(row.id),
            key=row.key,
            name=row.name,
            country=row.country,
            _sport_id=row.sport_id,
            _sport=sport,
        )

    @strawberry.field(metadata=prefetched("_sport"))
    async def sport(self, info: Info) -> Sport:
        row = await catalog_resolvers.sport(info.context, self._sport_id)
        assert row is not None, "a competition belongs to a sport"
        return Sport.from_model(row)

    @strawberry.field(
        description="Its events by start time (keyset pagination, at most "
        f"{catalog.PAGE_SIZE_MAX} per page); scheduled and live ones unless `status` says."
    )
    async def events(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {catalog.PAGE_SIZE_MAX}.")
        ] = catalog.PAGE_SIZE_DEFAULT,
        after: str | None = None,
        status: list[models.EventStatus] | None = None,
        starts_after: datetime | None = None,
    ) -> relay.Connection[SportsbookEvent]:
        with as_query_error():
            filters = catalog.EventFilter.of(
                first=first, after=after, statuses=status, starts_after=starts_after
            )
        page = await catalog_resolvers.competition_events(info.context, int(self.id), filters)
        return event_connection(page, after=after)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = [await catalog_resolvers.competition(info.context, i) for i in int_keys(node_ids)]
        return [cls.from_model(row) if row else None for row in rows]


@strawberry.type(description="A sporting event (a match, a race).")
class SportsbookEvent(relay.Node):
    id: relay.NodeID[str]
    name: str
    home: str | None
    away: str | None
    status: models.EventStatus
    starts_at: datetime
    score: JSON = strawberry.field(description="The live score as the feed sends it.")
    clock: JSON = strawberry.field(
        description='The match clock as the feed sends it, e.g. {"period": "2H", "minute": 67}.'
    )
    _competition_id: strawberry.Private[int]
    # Read up front with a page of events (None: through the loaders).
    _competition: strawberry.Private[Competition | None] = None
    _markets: strawberry.Private[list[Market] | None] = None

    @classmethod
    def from_model(
        cls,
        row: models.Event,
        *,
        competition: Competition | None = None,
        markets: list[Market] | None = None,
    ) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            home=row.home,
            away=row.away,
            status=models.EventStatus(row.status),
            starts_at=row.starts_at,
            score=cast(JSON, dict(row.score or {})),
            clock=cast(JSON, dict(row.clock or {})),
            _competition_id=row.competition_id,
            _competition=competition,
            _markets=markets,
        )

    @strawberry.field(metadata=prefetched("_competition"))
    async def competition(self, info: Info) -> Competition:
        row = await catalog_resolvers.competition(info.context, self._competition_id)
        assert row is not None, "an event belongs to a competition"
        return Competition.from_model(row)

    @strawberry.field(
        description="Its markets (deactivated ones are not listed).",
        metadata=prefetched("_markets"),
    )
    async def markets(self, info: Info) -> list[Market]:
        rows = await catalog_resolvers.markets_of(info.context, int(self.id))
        return [Market.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = [await catalog_resolvers.event(info.context, i) for i in int_keys(node_ids)]
        return [cls.from_model(row) if row else None for row in rows]


@strawberry.type(description="A market of an event, e.g. the match result or a total.")
class Market(relay.Node):
    id: relay.NodeID[str]
    type: str
    specifiers: str = strawberry.field(description='The line, e.g. "total=2.5"; "" if none.')
    name: str
    status: models.MarketStatus
    each_way_places: int | None = strawberry.field(
        description="Each-way: how many places pay (null: no each-way)."
    )
    each_way_fraction: str | None = strawberry.field(
        description='Each-way: the fraction of the odds a place pays, e.g. "1/5".'
    )
    _event_id: strawberry.Private[int]
    # Read up front with a page of events (None: through the loader).
    _outcomes: strawberry.Private[list[Outcome] | None] = None

    @classmethod
    def from_model(cls, row: models.Market, *, outcomes: list[Outcome] | None = None) -> Self:
        fraction = None
        if row.each_way_places is not None:
            fraction = f"{row.each_way_fraction_numerator}/{row.each_way_fraction_denominator}"
        return cls(
            id=str(row.id),
            type=row.type,
            specifiers=row.specifiers,
            name=row.name,
            status=models.MarketStatus(row.status),
            each_way_places=row.each_way_places,
            each_way_fraction=fraction,
            _event_id=row.event_id,
            _outcomes=outcomes,
        )

    @strawberry.field
    async def event(self, info: Info) -> SportsbookEvent:
        row = await catalog_resolvers.event(info.context, self._event_id)
        assert row is not None, "a market belongs to an event"
        return SportsbookEvent.from_model(row)

    @strawberry.field(metadata=prefetched("_outcomes"))
    async def outcomes(self, info: Info) -> list[Outcome]:
        rows = await catalog_resolvers.outcomes_of(info.context, int(self.id))
        return [Outcome.from_model(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = [await catalog_resolvers.market(info.context, i) for i in int_keys(node_ids)]
        return [cls.from_model(row) if row else None for row in rows]


@strawberry.type(description="A selection of a market, with its current odds.")
class Outcome(relay.Node):
    id: relay.NodeID[str]
    key: str
    name: str
    odds: Decimal = strawberry.field(description='Decimal odds as a string, e.g. "2.5".')
    status: models.OutcomeStatus
    position: int | None = strawberry.field(
        description="Races: the runner's finishing position once the race is resulted "
        "(null before, for a non-runner, and outside races)."
    )
    _market_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.Outcome) -> Self:
        return cls(
            id=str(row.id),
            key=row.key,
            name=row.name,
            odds=row.odds,
            status=models.OutcomeStatus(row.status),
            position=row.position,
            _market_id=row.market_id,
        )

    display: str = odds_display_field(
        'The odds written as a site shows them: "2.50", "3/2", "+150".'
    )

    @strawberry.field
    async def market(self, info: Info) -> Market:
        row = await catalog_resolvers.market(info.context, self._market_id)
        assert row is not None, "an outcome belongs to a market"
        return Market.from_model(row)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = [await catalog_resolvers.outcome(info.context, i) for i in int_keys(node_ids)]
        return [cls.from_model(row) if row else None for row in rows]


@strawberry.type(description="One selection of a bet.")
class BetLeg:
    leg_number: int = strawberry.field(description="0-based, in the order of the slip.")
    odds: Decimal = strawberry.field(description="The odds the bet took.")
    requested_odds: Decimal = strawberry.field(description="The odds the player asked for.")
    result: models.ResultKind | None = strawberry.field(description="Null until settled.")
    each_way_places: int | None = strawberry.field(
        description="Each-way terms the leg was placed on: how many places pay (null: none)."
    )
    each_way_fraction: str | None = strawberry.field(
        description='Each-way terms the leg was placed on: the fraction of the odds, e.g. "1/5".'
    )
    _outcome_id: strawberry.Private[int]
    # Settled each-way: the place part's multiplier was written (None: not each-way, or open).
    _place_settled: strawberry.Private[bool] = False
    # Read with the bet right after a mutation (None: through the loader).
    _outcome: strawberry.Private[Outcome | None] = None

    @classmethod
    def from_model(cls, row: models.BetLeg, *, outcome: Outcome | None = None) -> Self:
        fraction = None
        if row.each_way_places is not None:
            fraction = f"{row.each_way_fraction_numerator}/{row.each_way_fraction_denominator}"
        return cls(
            leg_number=row.leg_number,
            odds=row.odds,
            requested_odds=row.requested_odds,
            result=models.ResultKind(row.result) if row.result else None,
            each_way_places=row.each_way_places,
            each_way_fraction=fraction,
            _outcome_id=row.outcome_id,
            _place_settled=row.place_factor is not None,
            _outcome=outcome,
        )

    @strawberry.field(
        description="A won leg in a dead heat: the share of the stake paid at the full odds, "
        'e.g. "1/2" for a tie of two. Null otherwise.'
    )
    async def dead_heat_factor(self, info: Info) -> str | None:
        if self.result is not models.ResultKind.WIN:
            return None
        row = await catalog_resolvers.outcome(info.context, self._outcome_id)
        if row is None or row.dead_heat_numerator == row.dead_heat_denominator:
            return None
        return f"{row.dead_heat_numerator}/{row.dead_heat_denominator}"

    @strawberry.field(
        description="A settled each-way leg: the place part's result (WIN: placed). Null "
        "for other legs."
    )
    async def place_result(self, info: Info) -> models.ResultKind | None:
        if not self._place_settled or self.result is None:
            return None
        row = await catalog_resolvers.outcome(info.context, self._outcome_id)
        if row is None:
            return None
        place = models.ResultKind(row.place_result) if row.place_result else None
        return returns.LegResult(self.result, place_result=place).effective_place_result

    @strawberry.field(
        description="A settled each-way leg placed in a dead heat across the last place: "
        'the share of the place stake paid at the place odds, e.g. "1/2" for two tied for '
        "the last place. Null otherwise."
    )
    async def place_dead_heat_factor(self, info: Info) -> str | None:
        if not self._place_settled or self.result is None:
            return None
        row = await catalog_resolvers.outcome(info.context, self._outcome_id)
        if row is None or row.place_dead_heat_numerator == row.place_dead_heat_denominator:
            return None
        return f"{row.place_dead_heat_numerator}/{row.place_dead_heat_denominator}"

    @strawberry.field(
        description="A settled race leg: the runner's finishing position (null: not a "
        "race, a non-runner, or not resulted yet)."
    )
    async def finishing_position(self, info: Info) -> int | None:
        if self.result is None:
            return None
        row = await catalog_resolvers.outcome(info.context, self._outcome_id)
        return row.position if row is not None else None

    display: str = odds_display_field("The odds taken, written in `format`.")

    @strawberry.field(metadata=prefetched("_outcome"))
    async def outcome(self, info: Info) -> Outcome:
        row = await catalog_resolvers.outcome(info.context, self._outcome_id)
        assert row is not None, "a leg is on an outcome"
        return Outcome.from_model(row)


@strawberry.type(description="A sportsbook bet of the viewer.")
class Bet(relay.Node):
    id: relay.NodeID[str]
    status: models.BetStatus
    type: models.BetType
    system: str | None = strawberry.field(
        description='SYSTEM bets: the system, e.g. "yankee", or "k/n" for k-folds from n.'
    )
    stake: Money = strawberry.field(description="Per line (and per part, each-way).")
    total_stake: Money = strawberry.field(description="What was debited.")
    potential_return: Money = strawberry.field(description="If every leg wins (and places).")
    payout: Money | None = strawberry.field(description="Paid at settlement or cash-out.")
    each_way: bool
    free_bet: bool
    odds_policy: models.OddsPolicy
    placed_at: datetime
    settled_at: datetime | None
    _row: strawberry.Private[Any]
    # Read with the bet right after a mutation (None: through the loader).
    _legs: strawberry.Private[list[BetLeg] | None] = None

    @classmethod
    def from_model(cls, row: models.Bet, *, legs: list[BetLeg] | None = None) -> Self:
        currency = row.currency
        payout = row.payout_minor
        return cls(
            id=str(row.id),
            status=models.BetStatus(row.status),
            type=models.BetType(row.bet_type),
            system=row.system_name,
            stake=Money.of(row.stake_minor, currency),
            total_stake=Money.of(row.total_stake_minor, currency),
            potential_return=Money.of(row.potential_return_minor, currency),
            payout=Money.of(payout, currency) if payout is not None else None,
            each_way=row.each_way,
            free_bet=row.free_bet,
            odds_policy=models.OddsPolicy(row.odds_policy),
            placed_at=row.placed_at,
            settled_at=row.settled_at,
            _row=row,
            _legs=legs,
        )

    @classmethod
    def from_view(cls, view: bet_resolvers.BetView) -> Self:
        """A bet read with its legs (and their outcomes) up front: those fields then resolve
        synchronously, without loaders."""
        outcomes = view.outcomes
        legs = None
        if view.legs is not None:
            legs = [
                BetLeg.from_model(
                    leg,
                    outcome=None if outcomes is None else _outcome_of(outcomes, leg.outcome_id),
                )
                for leg in view.legs
            ]
        return cls.from_model(view.bet, legs=legs)

    @strawberry.field(
        description="Its selections, in the order of the slip.", metadata=prefetched("_legs")
    )
    async def legs(self, info: Info) -> list[BetLeg]:
        rows = await bet_resolvers.legs_of(info.context, int(self.id))
        return [BetLeg.from_model(row) for row in rows]

    @strawberry.field(
        description="What cashing out pays now (null: not offered, e.g. a market is "
        "suspended, or the bet is not an open single or multiple)."
    )
    async def cash_out_value(self, info: Info) -> Money | None:
        value = await bet_resolvers.cash_out_value(info.context, self._row)
        return Money.of(value, self._row.currency) if value is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        wanted = int_keys(node_ids)
        found = await bet_resolvers.bets_by_id(info.context, [i for i in wanted if i])
        return [cls.from_model(found[i]) if i in found else None for i in wanted]


def _outcome_of(outcomes: Mapping[int, models.Outcome], outcome_id: int) -> Outcome | None:
    row = outcomes.get(outcome_id)
    return Outcome.from_model(row) if row is not None else None


def event_connection(
    page: catalog.EventPage,
    *,
    after: str | None,
    listing: catalog_resolvers.EventListing | None = None,
) -> relay.Connection[SportsbookEvent]:
    """A page of events; with a `listing`, each event carries what it read up front (its
    markets with their outcomes, its competition with its sport), so those fields resolve
    synchronously, without loaders."""
    nested = _ListingObjects(listing) if listing is not None else None
    edges = [
        relay.Edge(
            cursor=catalog.EventCursor(row.starts_at, row.id).encode(),
            node=nested.event(row) if nested else SportsbookEvent.from_model(row),
        )
        for row in page.events
    ]
    return forward_connection(edges, has_next_page=page.has_next_page, after=after)


class _ListingObjects:
    """The GraphQL objects of an event listing; a competition (and sport) shared by several
    events is built once."""

    def __init__(self, listing: catalog_resolvers.EventListing) -> None:
        self.listing = listing
        self.competitions: dict[int, Competition | None] = {}
        self.sports: dict[int, Sport | None] = {}

    def event(self, row: models.Event) -> SportsbookEvent:
        markets = self.listing.markets
        return SportsbookEvent.from_model(
            row,
            competition=self.competition(row.competition_id),
            markets=None if markets is None else [self.market(m) for m in markets[row.id]],
        )

    def market(self, row: models.Market) -> Market:
        outcomes = self.listing.outcomes
        return Market.from_model(
            row,
            outcomes=None
            if outcomes is None
            else [Outcome.from_model(o) for o in outcomes[row.id]],
        )

    def competition(self, competition_id: int) -> Competition | None:
        if self.listing.competitions is None:
            return None
        if competition_id not in self.competitions:
            row = self.listing.competitions.get(competition_id)
            self.competitions[competition_id] = (
                Competition.from_model(row, sport=self.sport(row.sport_id)) if row else None
            )
        return self.competitions[competition_id]

    def sport(self, sport_id: int) -> Sport | None:
        if self.listing.sports is None:
            return None
        if sport_id not in self.sports:
            row = self.listing.sports.get(sport_id)
            self.sports[sport_id] = Sport.from_model(row) if row else None
        return self.sports[sport_id]


def bet_connection(page: bet_history.BetPage, *, after: str | None) -> relay.Connection[Bet]:
    edges = [
        relay.Edge(cursor=bet_history.encode_cursor(row.id), node=Bet.from_model(row))
        for row in page.bets
    ]
    return forward_connection(edges, has_next_page=page.has_next_page, after=after)
