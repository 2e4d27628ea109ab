"""Traders build the book: sports, competitions, events (fixtures, status, score) and
markets (type, specifiers, each-way place terms, outcomes with prices); results are in
schema/sportsbook/resulting.py. And the trading view of a market: what the feed says
beside what the trader set.

Staff of the trading desk only (market.trade over every brand: the book is shared). Each
mutation takes one `input` with a mandatory reason (kept in the audit log) and returns
`{ <result>, errors }`; refusals are typed and change nothing."""

from __future__ import annotations

import re
from datetime import datetime

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.kernel.errors import DomainError
from domain.sportsbook import booking, trading
from domain.sportsbook import errors as sportsbook_errors
from domain.sportsbook import models as sportsbook_models
from domain.sportsbook.feed.port import PlaceTerms
from resolvers.permissions import HasPermission
from resolvers.sportsbook import booking as booking_resolvers
from resolvers.sportsbook import catalog as catalog_resolvers
from schema.context import Info
from schema.errors import MutationError, as_query_error, mutation_error, to_errors
from schema.money import DecimalText
from schema.sportsbook.desk import DESK, REASON, STAFF_ERRORS, market_of, node_id
from schema.sportsbook.types import (
    Competition,
    Market,
    Outcome,
    Sport,
    SportsbookEvent,
    odds_value,
)

_FRACTION = re.compile(r"(\d{1,3})/(\d{1,3})")
_MARKET_ERRORS = (
    *STAFF_ERRORS,
    trading.EventNotFound,
    booking.InvalidOutcomes,
    booking.InvalidPlaceTerms,
    sportsbook_errors.InvalidOdds,
)


@mutation_error(*STAFF_ERRORS, booking.AlreadyExists)
class CreateSportError(MutationError): ...


@mutation_error(*STAFF_ERRORS, booking.AlreadyExists, booking.SportNotFound)
class CreateCompetitionError(MutationError): ...


@mutation_error(*STAFF_ERRORS, booking.CompetitionNotFound)
class CreateEventError(MutationError): ...


@mutation_error(*STAFF_ERRORS, trading.EventNotFound)
class EditEventError(MutationError): ...


@mutation_error(*STAFF_ERRORS, trading.EventNotFound, booking.InvalidScore)
class SetEventScoreError(MutationError): ...


@mutation_error(*_MARKET_ERRORS, booking.AlreadyExists)
class CreateMarketError(MutationError): ...


@mutation_error(
    *_MARKET_ERRORS,
    sportsbook_errors.MarketNotFound,
    trading.MarketNotTradable,
    booking.MarketFedByFeed,
)
class EditMarketError(MutationError): ...


# ---- inputs and payloads -----------------------------------------------------------------


@strawberry.input
class CreateSportInput:
    key: str = strawberry.field(description='A stable key, e.g. "football".')
    name: str
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class CreateSportPayload:
    sport: Sport | None = None
    errors: list[CreateSportError]


@strawberry.input
class CreateCompetitionInput:
    sport: relay.GlobalID = strawberry.field(description="The sport's `id`.")
    key: str = strawberry.field(description='A key unique in the sport, e.g. "premier-league".')
    name: str
    country: str | None = strawberry.field(default=None, description="ISO 3166 alpha-2.")
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class CreateCompetitionPayload:
    competition: Competition | None = None
    errors: list[CreateCompetitionError]


@strawberry.input
class CreateEventInput:
    competition: relay.GlobalID = strawberry.field(description="The competition's `id`.")
    name: str = strawberry.field(description='e.g. "Arsenal v Chelsea" or "3:15 Ascot".')
    home: str | None = None
    away: str | None = None
    starts_at: datetime
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class CreateEventPayload:
    event: SportsbookEvent | None = None
    errors: list[CreateEventError]


@strawberry.input
class EditEventInput:
    event: relay.GlobalID = strawberry.field(description="The event's `id`.")
    name: str | None = strawberry.field(default=None, description="Null: unchanged.")
    home: str | None = strawberry.field(default=None, description="Null: unchanged.")
    away: str | None = strawberry.field(default=None, description="Null: unchanged.")
    starts_at: datetime | None = strawberry.field(default=None, description="Null: unchanged.")
    status: sportsbook_models.EventStatus | None = strawberry.field(
        default=None, description="LIVE starts the event, ENDED ends it. Null: unchanged."
    )
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class EditEventPayload:
    event: SportsbookEvent | None = None
    errors: list[EditEventError]


@strawberry.input
class SetEventScoreInput:
    event: relay.GlobalID = strawberry.field(description="The event's `id`.")
    home: int
    away: int
    period: str | None = strawberry.field(
        default=None, description='The clock\'s period, e.g. "2H" (with `minute`).'
    )
    minute: int | None = None
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class SetEventScorePayload:
    event: SportsbookEvent | None = None
    errors: list[SetEventScoreError]


@strawberry.input
class PlaceTermsInput:
    places: int = strawberry.field(description="How many places pay, e.g. 3.")
    fraction: str = strawberry.field(description='The fraction of the odds, e.g. "1/5".')


@strawberry.input
class OutcomeInput:
    key: str = strawberry.field(description='A key unique in the market, e.g. "home".')
    name: str
    odds: DecimalText = strawberry.field(description='Decimal odds as a string, e.g. "2.75".')


@strawberry.input
class CreateMarketInput:
    event: relay.GlobalID = strawberry.field(description="The event's `id`.")
    type: str = strawberry.field(description='e.g. "match_result", "total", "race_winner".')
    name: str
    specifiers: str = strawberry.field(default="", description='The line, e.g. "total=2.5".')
    place_terms: PlaceTermsInput | None = strawberry.field(
        default=None, description="Each-way terms (null: no each-way)."
    )
    outcomes: list[OutcomeInput]
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class CreateMarketPayload:
    market: Market | None = None
    errors: list[CreateMarketError]


@strawberry.input
class EditMarketInput:
    market: relay.GlobalID = strawberry.field(description="The market's `id`.")
    name: str
    place_terms: PlaceTermsInput | None = strawberry.field(
        default=None, description="New each-way terms for bets from now on (null: unchanged)."
    )
    outcomes: list[OutcomeInput] = strawberry.field(
        description="Outcomes to reprice (by key) or add; those not named keep their price."
    )
    reason: str = strawberry.field(description=REASON)


@strawberry.type
class EditMarketPayload:
    market: Market | None = None
    errors: list[EditMarketError]


@strawberry.type(description="An outcome as the trader sees it: the price, the feed's.")
class TradingOutcome:
    outcome: Outcome
    odds: str = strawberry.field(description="The price bets take now.")
    feed_odds: str | None = strawberry.field(
        description="The feed's last price (before our margin); null for a trader's market."
    )
    odds_overridden: bool = strawberry.field(
        description="A trader's price holds against the feed until released."
    )


@strawberry.type(description="A market as the trader sees it: the status, the feed's.")
class TradingMarket:
    market: Market
    status: sportsbook_models.MarketStatus
    feed_status: sportsbook_models.MarketStatus | None = strawberry.field(
        description="The status the feed last sent; null for a trader's market."
    )
    suspended_by: str | None = strawberry.field(
        description='Who suspended it: "trader" (holds until resumed), "feed", "heartbeat".'
    )
    feed_producer: str | None = strawberry.field(
        description='Who prices it: a feed producer, or "trader".'
    )
    outcomes: list[TradingOutcome]


# ---- conversions -------------------------------------------------------------------------


def _place_terms(terms: PlaceTermsInput | None) -> PlaceTerms | None:
    """Errors: InvalidPlaceTerms."""
    if terms is None:
        return None
    match = _FRACTION.fullmatch(terms.fraction)
    if match is None:
        raise booking.InvalidPlaceTerms(field="placeTerms")
    return booking.check_place_terms(terms.places, int(match[1]), int(match[2]))


def _spec(
    kind: str,
    name: str,
    specifiers: str,
    terms: PlaceTermsInput | None,
    outcomes: list[OutcomeInput],
) -> booking.MarketSpec:
    return booking.MarketSpec(
        type=kind,
        name=name,
        specifiers=specifiers,
        place_terms=_place_terms(terms),
        outcomes=[booking.OutcomeSpec(o.key, o.name, odds_value(o.odds)) for o in outcomes],
    )


def _event(row: sportsbook_models.Event | None) -> SportsbookEvent | None:
    return SportsbookEvent.from_model(row) if row is not None else None


# ---- root fields -------------------------------------------------------------------------


@strawberry.type
class BookingMutation:
    @strawberry.mutation(description=DESK + "add a sport. Audited.")
    async def create_sport(self, info: Info, input: CreateSportInput) -> CreateSportPayload:
        done = await booking_resolvers.by_trader(
            info.context,
            lambda uow, actor: booking.create_sport(
                uow, actor, key=input.key, name=input.name, reason=input.reason
            ),
        )
        return CreateSportPayload(
            sport=Sport.from_model(done.value) if done.value else None,
            errors=to_errors(CreateSportError, done.errors),
        )

    @strawberry.mutation(description=DESK + "add a competition to a sport. Audited.")
    async def create_competition(
        self, info: Info, input: CreateCompetitionInput
    ) -> CreateCompetitionPayload:
        done = await booking_resolvers.by_trader(
            info.context,
            lambda uow, actor: booking.create_competition(
                uow,
                actor,
                node_id(input.sport, "Sport"),
                key=input.key,
                name=input.name,
                country=input.country,
                reason=input.reason,
            ),
        )
        return CreateCompetitionPayload(
            competition=Competition.from_model(done.value) if done.value else None,
            errors=to_errors(CreateCompetitionError, done.errors),
        )

    @strawberry.mutation(description=DESK + "add an event (a fixture), scheduled. Audited.")
    async def create_event(self, info: Info, input: CreateEventInput) -> CreateEventPayload:
        done = await booking_resolvers.by_trader(
            info.context,
            lambda uow, actor: booking.create_event(
                uow,
                actor,
                node_id(input.competition, "Competition"),
                name=input.name,
                home=input.home,
                away=input.away,
                starts_at=input.starts_at,
                reason=input.reason,
            ),
        )
        return CreateEventPayload(
            event=_event(done.value), errors=to_errors(CreateEventError, done.errors)
        )

    @strawberry.mutation(
        description=DESK + "change an event: name, teams, start time, or status (LIVE starts "
        "it, ENDED ends it). Audited."
    )
    async def edit_event(self, info: Info, input: EditEventInput) -> EditEventPayload:
        done = await booking_resolvers.by_trader(
            info.context,
            lambda uow, actor: booking.edit_event(
                uow,
                actor,
                node_id(input.event, "SportsbookEvent"),
                name=input.name,
                home=input.home,
                away=input.away,
                starts_at=input.starts_at,
                status=input.status,
                reason=input.reason,
            ),
        )
        return EditEventPayload(
            event=_event(done.value), errors=to_errors(EditEventError, done.errors)
        )

    @strawberry.mutation(description=DESK + "set an event's score (and clock). Audited.")
    async def set_event_score(self, info: Info, input: SetEventScoreInput) -> SetEventScorePayload:
        clock = None
        if input.period is not None or input.minute is not None:
            clock = {"period": input.period, "minute": input.minute}
        done = await booking_resolvers.by_trader(
            info.context,
            lambda uow, actor: booking.set_score(
                uow,
                actor,
                node_id(input.event, "SportsbookEvent"),
                score={"home": input.home, "away": input.away},
                match_clock=clock,
                reason=input.reason,
            ),
        )
        return SetEventScorePayload(
            event=_event(done.value), errors=to_errors(SetEventScoreError, done.errors)
        )

    @strawberry.mutation(
        description=DESK + "add a market to an event, open for bets at the prices given, "
        "with each-way place terms if given. Audited."
    )
    async def create_market(self, info: Info, input: CreateMarketInput) -> CreateMarketPayload:
        try:
            spec = _spec(
                input.type, input.name, input.specifiers, input.place_terms, input.outcomes
            )
        except DomainError as error:
            return CreateMarketPayload(errors=to_errors(CreateMarketError, [error]))
        done = await booking_resolvers.by_trader(
            info.context,
            lambda uow, actor: booking.create_market(
                uow, actor, node_id(input.event, "SportsbookEvent"), spec, reason=input.reason
            ),
        )
        return CreateMarketPayload(
            market=market_of(done.value), errors=to_errors(CreateMarketError, done.errors)
        )

    @strawberry.mutation(
        description=DESK + "rename a trader's market, change its place terms, reprice or "
        "add outcomes (a feed's market: override the odds instead). Audited."
    )
    async def edit_market(self, info: Info, input: EditMarketInput) -> EditMarketPayload:
        try:
            spec = _spec("", input.name, "", input.place_terms, input.outcomes)
        except DomainError as error:
            return EditMarketPayload(errors=to_errors(EditMarketError, [error]))
        done = await booking_resolvers.by_trader(
            info.context,
            lambda uow, actor: booking.edit_market(
                uow, actor, node_id(input.market, "Market"), spec, reason=input.reason
            ),
        )
        return EditMarketPayload(
            market=market_of(done.value), errors=to_errors(EditMarketError, done.errors)
        )


@strawberry.type
class BookingQuery:
    @strawberry.field(
        description=DESK + "a market as the trader sees it: each outcome's price beside "
        "the feed's, and the market's status beside the feed's.",
        extensions=[HasPermission.extension(Permission.MARKET_TRADE)],
    )
    async def trading_market(self, info: Info, market: relay.GlobalID) -> TradingMarket | None:
        with as_query_error():
            row = await booking_resolvers.trading_market(info.context, node_id(market, "Market"))
        if row is None:
            return None
        outcomes = await catalog_resolvers.outcomes_of(info.context, row.id)
        return TradingMarket(
            market=Market.from_model(row),
            status=sportsbook_models.MarketStatus(row.status),
            feed_status=(
                sportsbook_models.MarketStatus(row.feed_status) if row.feed_status else None
            ),
            suspended_by=row.suspended_by,
            feed_producer=row.feed_producer,
            outcomes=[
                TradingOutcome(
                    outcome=Outcome.from_model(o),
                    odds=str(o.odds),
                    feed_odds=str(o.feed_odds) if o.feed_odds is not None else None,
                    odds_overridden=o.odds_overridden,
                )
                for o in outcomes
            ],
        )
