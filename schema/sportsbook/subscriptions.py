"""Sportsbook subscriptions. `oddsChanged` and `eventUpdated` carry nothing per viewer, so
identical subscribers share one producer that builds each payload once (see
resolvers/sportsbook/fanout.py); `betUpdated` and `cashOutOffer` are per viewer."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.schema.base import BaseSchema

from domain.accounts.principal import Principal, require_player
from domain.kernel.db import Database
from domain.kernel.pubsub import EventHub, PublishedEvent, SubscriptionInterrupted
from domain.sportsbook import bet_history, catalog, models, trading
from domain.sportsbook import odds as odds_math
from domain.sportsbook.errors import BetNotFound
from domain.sportsbook.events import BetsSettled, BetUpdated, LiabilityChanged
from domain.sportsbook.feed.events import EventUpdated, OddsChanged
from resolvers.sportsbook import bets as bet_resolvers
from resolvers.sportsbook.fanout import fanout_for, router_for
from schema.accounts.subscriptions import _until_interrupted
from schema.context import Info
from schema.errors import as_query_error, query_error
from schema.extensions import published_value_passes_through
from schema.ids import int_of
from schema.money import Money
from schema.sportsbook.trading import OutcomeLiability
from schema.sportsbook.types import (
    Bet,
    Outcome,
    SportsbookEvent,
    odds_display_field,
)

# Payloads built per shared field: the fan-out's cost (tests read it; never reset in code).
PAYLOAD_BUILDS: Counter[str] = Counter()
EVENTS_PER_SUBSCRIPTION_MAX = 50


@strawberry.type(description="An outcome's odds and status now.")
class OutcomeOdds:
    outcome: relay.GlobalID
    market: relay.GlobalID
    odds: Decimal
    status: models.OutcomeStatus
    market_status: models.MarketStatus

    display: str = odds_display_field()


@strawberry.type(description="Odds or statuses of outcomes of one event changed.")
class OddsUpdate:
    event: relay.GlobalID
    outcomes: list[OutcomeOdds]


@strawberry.type(description="A bet's cash-out value now (null: not offered at the moment).")
class CashOutOffer:
    bet: relay.GlobalID
    value: Money | None


@strawberry.type(description="A market's liabilities after bets came onto or left its book.")
class LiabilityUpdate:
    market: relay.GlobalID
    outcomes: list[OutcomeLiability]


async def build_liability_update(
    db: Database, market_id: int, scope: str | None
) -> LiabilityUpdate:
    """The market's liabilities now, over the whole book (`scope` None) or one brand's
    bets: read once per group, whatever the number of sockets."""
    PAYLOAD_BUILDS["liabilityChanged"] += 1
    async with db.uow() as uow:
        rows = await trading.outcome_liabilities_in_scope(uow, market_id, scope)
    return LiabilityUpdate(
        market=relay.GlobalID("Market", str(market_id)),
        outcomes=[
            OutcomeLiability(
                outcome=Outcome.from_model(outcome),
                liabilities=[Money.of(r.liability_minor, r.currency) for r in liabilities],
            )
            for outcome, liabilities in rows
        ],
    )


async def _liability_updates(
    hub: EventHub, db: Database, brand: str, market_id: int, scope: str | None
) -> AsyncIterator[LiabilityUpdate]:
    async with hub.subscribe(LiabilityChanged.topic, brand=None) as events:
        async for event in events:
            # A brand's trader reads only that brand's bets: another brand's move nothing.
            if scope is not None and event.brand not in (None, brand):
                continue
            if market_id in event.payload["market_ids"]:
                yield await build_liability_update(db, market_id, scope)


def build_odds_update(payload: dict[str, Any], wanted: frozenset[int]) -> OddsUpdate | None:
    """The update a group watching `wanted` events sends for one feed event (None: not
    one of theirs). Built once per group, whatever the number of sockets."""
    event_id = int(payload["event_id"])
    if event_id not in wanted:
        return None
    PAYLOAD_BUILDS["oddsChanged"] += 1
    return OddsUpdate(
        event=relay.GlobalID("SportsbookEvent", str(event_id)),
        outcomes=[
            OutcomeOdds(
                outcome=relay.GlobalID("Outcome", str(row["outcome_id"])),
                market=relay.GlobalID("Market", str(row["market_id"])),
                odds=Decimal(str(row["odds"])).quantize(odds_math.ODDS_PLACES),
                status=models.OutcomeStatus(row["status"]),
                market_status=models.MarketStatus(row["market_status"]),
            )
            for row in payload["outcomes"]
        ],
    )


async def build_event_update(db: Database, event_id: int) -> SportsbookEvent | None:
    """The event as it is now, read once per group."""
    PAYLOAD_BUILDS["eventUpdated"] += 1
    async with db.uow() as uow:
        found = await catalog.events_by_id(uow, [event_id])
    return SportsbookEvent.from_model(found[event_id]) if event_id in found else None


def _event_ids(ids: Sequence[relay.GlobalID]) -> frozenset[int]:
    if len(ids) > EVENTS_PER_SUBSCRIPTION_MAX:
        raise StrawberryGraphQLError(
            f"At most {EVENTS_PER_SUBSCRIPTION_MAX} events per subscription.",
            extensions={"code": "INVALID"},
        )
    return frozenset(filter(None, (int_of(i, "SportsbookEvent") for i in ids)))


def _event_of(event: PublishedEvent) -> int:
    return int(event.payload["event_id"])


async def _odds_updates(
    hub: EventHub, brand: str, wanted: frozenset[int]
) -> AsyncIterator[OddsUpdate]:
    # Routed by event id: a change wakes only the groups watching its event.
    router = router_for(hub, OddsChanged.topic, _event_of)
    async with router.watch(wanted) as events:
        async for event in events:
            if event.brand not in (None, brand):
                continue
            update = build_odds_update(event.payload, wanted)
            if update is not None:
                yield update


async def _event_updates(
    hub: EventHub, db: Database, brand: str, event_id: int
) -> AsyncIterator[SportsbookEvent]:
    async with hub.subscribe(EventUpdated.topic, brand=None) as events:
        async for event in events:
            if event.brand in (None, brand) and int(event.payload["event_id"]) == event_id:
                update = await build_event_update(db, event_id)
                if update is not None:
                    yield update


async def _events_updates(
    hub: EventHub, db: Database, brand: str, wanted: frozenset[int]
) -> AsyncIterator[SportsbookEvent]:
    """`eventsUpdated`: each watched event as it is now, whenever it changes."""
    async with hub.subscribe(EventUpdated.topic, brand=None) as events:
        async for event in events:
            if event.brand not in (None, brand):
                continue
            event_id = int(event.payload["event_id"])
            if event_id in wanted:
                update = await build_event_update(db, event_id)
                if update is not None:
                    yield update


@contextlib.asynccontextmanager
async def _merged(
    hub: EventHub, topics: Sequence[str], brand: str | None
) -> AsyncIterator[AsyncIterator[PublishedEvent]]:
    """Events of several topics as one stream (interrupted when any of them is), listening
    from the moment the block is entered."""
    queue: asyncio.Queue[PublishedEvent | SubscriptionInterrupted] = asyncio.Queue()

    async def pump(subscription: AsyncIterator[PublishedEvent]) -> None:
        try:
            async for event in subscription:
                queue.put_nowait(event)
            queue.put_nowait(SubscriptionInterrupted("the event stream ended"))
        except SubscriptionInterrupted as interrupted:
            queue.put_nowait(interrupted)

    async def stream() -> AsyncIterator[PublishedEvent]:
        while True:
            item = await queue.get()
            if isinstance(item, SubscriptionInterrupted):
                raise item
            yield item

    async with contextlib.AsyncExitStack() as stack:
        subscriptions = [
            await stack.enter_async_context(hub.subscribe(topic, brand=brand)) for topic in topics
        ]
        tasks = [asyncio.create_task(pump(s)) for s in subscriptions]
        try:
            yield stream()
        finally:
            for task in tasks:
                task.cancel()


async def _viewer(info: Info) -> Principal:
    with as_query_error():
        return require_player(await info.context.principal())


async def _mine(info: Info, player: Principal, event: PublishedEvent) -> list[int]:
    """Ids of the viewer's bets an event is about."""
    if event.topic == BetUpdated.topic:
        return (
            [int(event.payload["bet_id"])] if event.payload["player_id"] == str(player.id) else []
        )
    async with info.context.db.uow() as uow:
        return await bet_history.player_bet_ids(
            uow, info.context.brand.slug, player.id, [int(i) for i in event.payload["bet_ids"]]
        )


@strawberry.type
class SportsbookSubscription:
    @strawberry.subscription(
        description="Odds and statuses of the outcomes of these events as they change (at "
        f"most {EVENTS_PER_SUBSCRIPTION_MAX} events). Public."
    )
    async def odds_changed(
        self, info: Info, events: list[relay.GlobalID]
    ) -> AsyncGenerator[OddsUpdate, None]:
        wanted = _event_ids(events)
        hub, brand = info.context.hub, info.context.brand.slug
        key = ("oddsChanged", brand, wanted)
        async with fanout_for(hub).join(key, lambda: _odds_updates(hub, brand, wanted)) as stream:
            async for update in _until_interrupted(stream):  # type: ignore[arg-type]
                yield update  # type: ignore[misc]

    @strawberry.subscription(
        description="Staff (market.trade): the market's outcomes with what the book pays if "
        "each wins, per currency, each time bets come onto or leave its book (after commit): "
        "over the whole book for staff of every brand, over this brand's bets for others."
    )
    async def liability_changed(
        self, info: Info, market: relay.GlobalID
    ) -> AsyncGenerator[LiabilityUpdate, None]:
        with as_query_error():
            scope = trading.liability_scope(await info.context.principal(), info.context.brand.slug)
        market_id = int_of(market, "Market") or 0
        hub, db, brand = info.context.hub, info.context.db, info.context.brand.slug
        # Subscribers with the same market and the same scope share one payload build.
        key = ("liabilityChanged", brand if scope else None, market_id, scope)
        produce = lambda: _liability_updates(hub, db, brand, market_id, scope)  # noqa: E731
        async with fanout_for(hub).join(key, produce) as stream:
            async for update in _until_interrupted(stream):  # type: ignore[arg-type]
                yield update  # type: ignore[misc]

    @strawberry.subscription(
        description="The event each time its status, score or market statuses change. Public."
    )
    async def event_updated(
        self,
        info: Info,
        # See pass_published_values: the GraphQL name `event` needs that fix.
        event_global_id: Annotated[relay.GlobalID, strawberry.argument(name="event")],
    ) -> AsyncGenerator[SportsbookEvent, None]:
        (event_id,) = _event_ids([event_global_id]) or {0}
        hub, db, brand = info.context.hub, info.context.db, info.context.brand.slug
        key = ("eventUpdated", brand, event_id)
        produce = lambda: _event_updates(hub, db, brand, event_id)  # noqa: E731
        async with fanout_for(hub).join(key, produce) as stream:
            async for update in _until_interrupted(stream):  # type: ignore[arg-type]
                yield update  # type: ignore[misc]

    @strawberry.subscription(
        description="Each of these events (at most "
        f"{EVENTS_PER_SUBSCRIPTION_MAX}) each time its status, score or market statuses "
        "change: one subscription for a whole list of events. Public."
    )
    async def events_updated(
        self, info: Info, events: list[relay.GlobalID]
    ) -> AsyncGenerator[SportsbookEvent, None]:
        wanted = _event_ids(events)
        hub, db, brand = info.context.hub, info.context.db, info.context.brand.slug
        key = ("eventsUpdated", brand, wanted)
        produce = lambda: _events_updates(hub, db, brand, wanted)  # noqa: E731
        async with fanout_for(hub).join(key, produce) as stream:
            async for update in _until_interrupted(stream):  # type: ignore[arg-type]
                yield update  # type: ignore[misc]

    @strawberry.subscription(
        description="The viewer's bets as they change after commit: accepted or refused "
        "after the live-bet delay, settled, cashed out. The stream ends when the session does."
    )
    async def bet_updated(self, info: Info) -> AsyncGenerator[Bet, None]:
        player = await _viewer(info)
        topics = (BetUpdated.topic, BetsSettled.topic)
        brand = info.context.brand.slug
        # Settlement announces chunks without a brand (a market's bets span brands): the
        # brand-scoped read in _mine keeps only this brand's, and this player's, bets.
        async with _merged(info.context.hub, topics, None) as events:
            async for event in _until_interrupted(events):
                if event.brand not in (None, brand):
                    continue
                bet_ids = await _mine(info, player, event)
                if not bet_ids:
                    continue
                found = await bet_resolvers.bets_by_id(info.context, bet_ids)
                if await info.context.principal() is None:
                    return
                for bet_id in bet_ids:
                    if bet_id in found:
                        yield Bet.from_model(found[bet_id])

    @strawberry.subscription(
        description="The cash-out value of one of the viewer's bets: now, then each time "
        "its events' odds or statuses change. Ends when the bet is settled or cashed out."
    )
    async def cash_out_offer(
        self, info: Info, bet: relay.GlobalID
    ) -> AsyncGenerator[CashOutOffer, None]:
        await _viewer(info)
        bet_id = int_of(bet, "Bet") or 0
        legs = await bet_resolvers.legs_of(info.context, bet_id)
        if not (await bet_resolvers.bets_by_id(info.context, [bet_id])) or not legs:
            raise query_error(BetNotFound(field="bet"))
        event_ids = {leg.event_id for leg in legs}
        topics = (OddsChanged.topic, EventUpdated.topic, BetUpdated.topic, BetsSettled.topic)
        # Listen before reading the value now, so no change falls in between.
        async with _merged(info.context.hub, topics, None) as events:
            offer = await _offer(info, bet_id)
            if offer is None:
                return
            last = offer.value
            yield offer
            async for event in _until_interrupted(events):
                payload = event.payload
                if event.topic in (BetUpdated.topic, BetsSettled.topic):
                    if bet_id not in {payload.get("bet_id"), *payload.get("bet_ids", [])}:
                        continue
                elif int(payload["event_id"]) not in event_ids:
                    continue
                offer = await _offer(info, bet_id)
                if offer is None:
                    return
                if offer.value != last:
                    last = offer.value
                    yield offer
                if offer.value is None and event.topic in (BetUpdated.topic, BetsSettled.topic):
                    return


async def _offer(info: Info, bet_id: int) -> CashOutOffer | None:
    """The offer now; None when the viewer may no longer see the bet."""
    found = await bet_resolvers.bets_by_id(info.context, [bet_id])
    if bet_id not in found:
        return None
    row = found[bet_id]
    value = await bet_resolvers.cash_out_value(info.context, row)
    return CashOutOffer(
        bet=relay.GlobalID("Bet", str(bet_id)),
        value=Money.of(value, row.currency) if value is not None else None,
    )


def pass_published_values(schema: BaseSchema) -> None:
    """eventUpdated takes an argument called `event`, which strawberry's resolver of
    published values cannot take (see `published_value_passes_through`)."""
    published_value_passes_through(schema, "eventUpdated")
