"""The simulated feed: deterministic for a seed, and a real producer through the port."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from domain.kernel.db import Database
from domain.sportsbook.feed.port import from_wire, to_wire
from domain.sportsbook.feed.processing import process_message
from domain.sportsbook.feed.simulator import FeedSimulator, price
from domain.sportsbook.models import Event, Market

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def run(seed: int, seconds: int) -> list[dict[str, object]]:
    simulator = FeedSimulator(seed=seed, start=START)
    return [to_wire(m) for m in simulator.poll(START + timedelta(seconds=seconds))]


def test_the_same_seed_gives_the_same_feed() -> None:
    assert run(42, 400) == run(42, 400)
    assert run(42, 400) != run(43, 400)


def test_the_feed_has_every_kind_of_message_a_day_needs() -> None:
    kinds = Counter(str(m["kind"]) for m in run(3, 1200))

    assert {"odds_change", "bet_stop", "bet_settlement", "alive"} <= set(kinds)
    assert kinds["rollback_bet_settlement"] + kinds["bet_cancel"] >= 1


def test_prices_carry_the_overround() -> None:
    assert price(0.5) == price(0.5, 0.06)
    assert 1 / float(price(0.5)) + 1 / float(price(0.5)) > 1.05


async def test_the_simulated_feed_builds_a_book_through_the_same_processing(
    db: Database,
) -> None:
    messages = [from_wire(m) for m in run(1, 120)]

    async with db.transaction() as uow:
        for message in messages:
            await process_message(uow, message)

    async with db.uow() as uow:
        events = await uow.session.scalar(select(func.count()).select_from(Event))
        markets = await uow.session.scalar(select(func.count()).select_from(Market))
    assert events is not None
    assert events >= 6
    assert markets == events
