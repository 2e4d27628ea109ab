"""Bursts of feed corrections over a small book, and what they must leave: shared by the
domain test (converging in process) and the worker test (through the real broker)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.sportsbook.feed.port import (
    BetCancel,
    BetSettlement,
    EventMessage,
    Fixture,
    MarketOdds,
    MarketRef,
    MarketResult,
    OddsChange,
    OutcomeOdds,
    OutcomeResult,
    RollbackBetCancel,
    RollbackBetSettlement,
)
from domain.sportsbook.feed.processing import process_message
from domain.sportsbook.models import Bet, BetLeg, BetType, Event, Market, Outcome
from domain.sportsbook.placement import BetSlip, Selection
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import funded_player, place

MARKETS_PER_EVENT = 4
PLAYERS = 10
FUNDS_MINOR = 1_000_00
STAKE_MINOR = 1_00
ODDS = {"home": Decimal("2.00"), "away": Decimal("3.00")}


@dataclass
class Book:
    # Market id by (event reference, market type).
    markets: dict[tuple[str, str], int] = field(default_factory=dict)
    # (bet id, player, market id, outcome key) of every bet.
    bets: list[tuple[int, uuid.UUID, int, str]] = field(default_factory=list)
    players: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    kind: str  # settle | rollback | cancel | uncancel
    winner: str | None = None


def band(index: int) -> str:
    return f"corner_band_{index}"


async def build_book(db: Database, registry: BrandRegistry, events: int) -> Book:
    book = Book(players=[await funded_player(db, registry, FUNDS_MINOR) for _ in range(PLAYERS)])
    starts_at = clock.now() + timedelta(days=1)
    for number in range(events):
        ref = f"ev:{number}"
        fixture = Fixture(
            sport_key="football", sport_name="Football", competition_key="epl",
            competition_name="Premier League", name=f"Home {number} v Away {number}",
            starts_at=starts_at,
        )  # fmt: skip
        markets = tuple(
            MarketOdds(
                type=band(index),
                name=f"Band {index}",
                status="active",
                outcomes=tuple(OutcomeOdds(key, key, odds) for key, odds in ODDS.items()),
            )
            for index in range(MARKETS_PER_EVENT)
        )
        async with db.uow() as uow:
            await process_message(
                uow,
                OddsChange(
                    producer="live", message_id=f"{ref}:odds", event_ref=ref, sequence=1,
                    sent_at=clock.now(), markets=markets, fixture=fixture,
                ),
            )  # fmt: skip
            await uow.commit()
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(Event.feed_ref, Market.type, Market.id, Outcome.key, Outcome.id)
            .join(Market, Market.event_id == Event.id)
            .join(Outcome, Outcome.market_id == Market.id)
            .order_by(Market.id, Outcome.key)
        )
        outcomes = rows.all()
    for position, (ref, market_type, market_id, key, outcome_id) in enumerate(outcomes):
        book.markets[(ref, market_type)] = market_id
        player = book.players[position % PLAYERS]
        placed = await place(
            db, registry, player,
            BetSlip(selections=(Selection(outcome_id, ODDS[key]),), stake_minor=STAKE_MINOR,
                    bet_type=BetType.SINGLE, idempotency_key=f"bet-{outcome_id}"),
        )  # fmt: skip
        book.bets.append((placed.bet_id, player, market_id, key))
    return book


def script(rng: random.Random) -> list[Step]:
    """A burst as a feed sends corrections: a settlement, then 1-4 more results messages."""
    steps = [Step("settle", rng.choice(list(ODDS)))]
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["settle", "rollback", "cancel", "uncancel"])
        steps.append(Step(kind, rng.choice(list(ODDS)) if kind == "settle" else None))
    return steps


def message(ref: str, market_type: str, sequence: int, step: Step) -> EventMessage:
    common = {
        "producer": "live", "message_id": f"{ref}:{sequence}", "event_ref": ref,
        "sequence": sequence, "sent_at": clock.now(),
    }  # fmt: skip
    refs = (MarketRef(market_type),)
    if step.kind == "settle":
        results = tuple(OutcomeResult(key, int(key == step.winner)) for key in ODDS)
        return BetSettlement(**common, markets=(MarketResult(market_type, results),))
    if step.kind == "rollback":
        return RollbackBetSettlement(**common, markets=refs)
    if step.kind == "cancel":
        return BetCancel(**common, markets=refs)
    return RollbackBetCancel(**common, markets=refs)


def bursts(
    rng: random.Random, events: int
) -> tuple[list[EventMessage], dict[tuple[str, str], list[Step]]]:
    """Every event's messages, its markets' bursts interleaved, numbered in producer
    order; and each market's steps in that order."""
    messages: list[EventMessage] = []
    scripts: dict[tuple[str, str], list[Step]] = {}
    for number in range(events):
        ref = f"ev:{number}"
        pending = {band(index): script(rng) for index in range(MARKETS_PER_EVENT)}
        scripts.update({(ref, market_type): list(steps) for market_type, steps in pending.items()})
        sequence = 1  # the odds change that created the event was 1
        while pending:
            market_type = rng.choice(sorted(pending))
            sequence += 1
            messages.append(message(ref, market_type, sequence, pending[market_type].pop(0)))
            if not pending[market_type]:
                del pending[market_type]
    return messages, scripts


def final(steps: list[Step]) -> tuple[str | None, bool]:
    """(winner, cancelled) that the steps leave, applied in producer order."""
    winner: str | None = None
    cancelled = False
    for step in steps:
        if step.kind in ("settle", "rollback"):
            winner = step.winner
        else:
            cancelled = step.kind == "cancel"
    return winner, cancelled


@dataclass(frozen=True)
class Expected:
    # Per market: (status, winning outcome key or None, ((bet status, payout), ...)).
    markets: dict[int, tuple[str, str | None, tuple[tuple[str, int | None], ...]]]
    wallets: dict[uuid.UUID, dict[WalletKind, int]]


def expected_book(book: Book, scripts: dict[tuple[str, str], list[Step]]) -> Expected:
    finals = {book.markets[key]: final(steps) for key, steps in scripts.items()}
    bets_of: dict[int, list[tuple[str, int | None]]] = {}
    cash = dict.fromkeys(book.players, FUNDS_MINOR)
    for _bet_id, player, market_id, key in sorted(book.bets):
        winner, cancelled = finals[market_id]
        cash[player] -= STAKE_MINOR
        if cancelled:
            # A whole market cancelled is void: its bets too, stakes back.
            outcome: tuple[str, int | None] = ("void", STAKE_MINOR)
        elif winner is None:
            outcome = ("open", None)
        elif winner == key:
            outcome = ("won", int(STAKE_MINOR * ODDS[key]))
        else:
            outcome = ("lost", 0)
        cash[player] += outcome[1] or 0
        bets_of.setdefault(market_id, []).append(outcome)
    markets = {}
    for market_id, (winner, cancelled) in finals.items():
        status = "cancelled" if cancelled else "settled" if winner else "suspended"
        shown_winner = winner if status != "suspended" else None
        markets[market_id] = (status, shown_winner, tuple(bets_of[market_id]))
    return Expected(markets, {p: {WalletKind.CASH: c} if c else {} for p, c in cash.items()})


async def actual_book(
    db: Database,
) -> dict[int, tuple[str, str | None, tuple[tuple[str, int | None], ...]]]:
    async with db.uow() as uow:
        statuses = dict((await uow.session.execute(select(Market.id, Market.status))).all())
        winners = dict(
            (await uow.session.execute(
                select(Outcome.market_id, Outcome.key).where(Outcome.result == "win")
            )).all()
        )  # fmt: skip
        bets = await uow.session.execute(
            select(BetLeg.market_id, Bet.status, Bet.payout_minor)
            .join(Bet, Bet.id == BetLeg.bet_id)
            .order_by(Bet.id)
        )
        found: dict[int, list[tuple[str, int | None]]] = {}
        for market_id, status, payout in bets:
            found.setdefault(market_id, []).append((status, payout))
    return {
        market_id: (status, winners.get(market_id), tuple(found.get(market_id, ())))
        for market_id, status in statuses.items()
    }
