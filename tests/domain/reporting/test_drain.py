"""The reporting drain: relay batches that arrive within its window are applied in one
transaction, exactly as if each had been applied alone; a bad batch fails only itself."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.reporting import service
from domain.reporting.drain import Drain
from tests.domain.reporting.support import (
    Casino,
    execute,
    ledger_move,
    player,
    sportsbook_bet,
)
from tests.domain.reporting.test_read_model import expected_cells, reported_cells, seed
from tests.domain.sportsbook.support import add_market
from tests.support import statements_of

Event = tuple[str, str | None, Mapping[str, Any]]


async def outbox_events(db: Database) -> list[Event]:
    async with db.uow() as uow:
        rows = (
            await uow.session.execute(
                select(OutboxEvent.topic, OutboxEvent.brand, OutboxEvent.payload)
                .where(OutboxEvent.topic.in_(service.TOPICS))
                .order_by(OutboxEvent.id)
            )
        ).all()
    return [(row.topic, row.brand, row.payload) for row in rows]


def relay_batches(events: Sequence[Event], size: int) -> list[Sequence[Event]]:
    return [events[start : start + size] for start in range(0, len(events), size)]


async def test_relay_batches_within_the_window_are_one_flush_and_equal_the_ledger(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    events = await outbox_events(db)
    batches = relay_batches(events, 3)
    drain = Drain(lambda: db, window_s=5.0, submitters_max=len(batches))

    await asyncio.gather(*(drain.submit(batch) for batch in batches))

    # Every batch waited for the last one (the window's end), then one transaction.
    assert drain.flushes == 1
    assert await reported_cells(db) == await expected_cells(db)


async def test_the_same_batches_submitted_again_at_once_count_once(
    db: Database, registry: BrandRegistry
) -> None:
    await seed(db, registry)
    events = await outbox_events(db)
    batches = relay_batches(events, 4)
    # Redelivered while the first delivery waits: the same sources twice in one flush.
    drain = Drain(lambda: db, window_s=5.0, submitters_max=2 * len(batches))

    await asyncio.gather(*(drain.submit(batch) for batch in [*batches, *batches[::-1]]))
    await Drain(lambda: db).submit(events)

    assert drain.flushes == 1
    assert await reported_cells(db) == await expected_cells(db)


async def test_a_batch_that_cannot_be_applied_fails_alone_and_the_others_count(
    db: Database, registry: BrandRegistry
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 10_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    await dice.bet("drain-b1", "drain-r1", 1_00)
    events = await outbox_events(db)
    broken: Event = (
        service.BALANCE_CHANGED,
        "aurora",
        {"kind": "casino.bet", "transaction_id": "x"},
    )
    drain = Drain(lambda: db, window_s=5.0, submitters_max=2)

    good, bad = await asyncio.gather(
        drain.submit(events), drain.submit([broken]), return_exceptions=True
    )

    assert good is None
    assert isinstance(bad, ValueError)
    (cell,) = await execute(
        db, "SELECT bets, stakes_minor FROM reporting_daily "
        "WHERE brand = 'aurora' AND product = 'casino'",
    )  # fmt: skip
    assert cell == (1, 1_00)


async def test_a_window_of_one_game_bets_costs_the_statements_of_one_batch(
    db: Database, registry: BrandRegistry
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 100_00)
    dice = await Casino(db, registry, "aurora", "EUR").open(euro)
    seen = len(await outbox_events(db))
    await Drain(lambda: db).submit(await outbox_events(db))
    for n in range(30):
        await dice.bet(f"window-b{n}", f"window-r{n}", 1_00)
    bets = (await outbox_events(db))[seen:]
    assert len(bets) == 30
    drain = Drain(lambda: db, window_s=5.0, submitters_max=30)

    with statements_of(db) as statements:
        # One relay batch per bet, as the relay sends them under a trickle.
        await asyncio.gather(*(drain.submit([bet]) for bet in bets))

    # The facts, the claims, the refresh signal, the activity, the cell and the player's
    # day: what one bet costs alone, for thirty.
    assert len(statements) == 6, statements
    (cell,) = await execute(
        db, "SELECT bets, stakes_minor, active_players FROM reporting_daily "
        "WHERE brand = 'aurora' AND product = 'casino'",
    )  # fmt: skip
    assert cell == (30, 30_00, 1)

    with statements_of(db) as statements:
        await Drain(lambda: db).submit(bets)

    # Delivered again: the facts and the claims, which find every bet counted.
    assert len(statements) == 2, statements
    again = await execute(
        db, "SELECT bets, stakes_minor, active_players FROM reporting_daily "
        "WHERE brand = 'aurora' AND product = 'casino'",
    )  # fmt: skip
    assert again == [(30, 30_00, 1)]


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("ERROR", logger="domain.reporting.drain")


async def test_a_players_deposits_applied_latest_first_count_one_first_depositor(
    db: Database, registry: BrandRegistry
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    pound = await player(db, registry, "aurora", "GBP")
    for who, currency in ((euro, "EUR"), (euro, "EUR"), (euro, "EUR"), (pound, "GBP")):
        await ledger_move(db, "aurora", who, currency, 10_00)
    events = await outbox_events(db)
    deposits = [e for e in events if e[2].get("kind") == "deposit"]
    assert len(deposits) == 4

    # The euro player's latest deposit alone, then the two earlier ones in one batch with
    # the pound player's: the earliest displaces the latest, the middle one is never first.
    await Drain(lambda: db).submit([deposits[2]])
    await Drain(lambda: db).submit([deposits[1], deposits[0], deposits[3], *events])

    figures = await execute(
        db, "SELECT currency, sum(deposits), sum(first_depositors) FROM reporting_daily "
        "WHERE brand = 'aurora' AND product = 'account' GROUP BY currency ORDER BY currency",
    )  # fmt: skip
    assert figures == [("EUR", 3, 1), ("GBP", 1, 1)]
    recorded = await execute(
        db, "SELECT transaction_id FROM reporting_first_deposits WHERE player_id = :p", p=euro
    )
    assert recorded == [(int(deposits[0][2]["transaction_id"]),)]


async def test_sportsbook_stakes_cost_the_same_statements_for_one_bet_or_many(
    db: Database, registry: BrandRegistry
) -> None:
    euro = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", euro, "EUR", 100_00)
    market = await add_market(db, {"home": "2.50", "away": "3.00"})
    await Drain(lambda: db).submit(await outbox_events(db))
    seen = len(await outbox_events(db))

    async def stakes(count: int) -> list[str]:
        nonlocal seen
        for _ in range(count):
            await sportsbook_bet(
                db, registry, "aurora", euro, outcome_id=market.outcomes["home"], odds="2.50",
                stake_minor=1_00,
            )  # fmt: skip
        events = await outbox_events(db)
        fresh, seen = events[seen:], len(events)
        with statements_of(db) as statements:
            await Drain(lambda: db).submit(fresh)
        return statements

    one, five = await stakes(1), await stakes(5)

    # The bets' legs (sport, competition, market type) are one read for the batch.
    assert len(five) == len(one), (one, five)
    (cell,) = await execute(
        db, "SELECT bets, stakes_minor, sport <> 'unknown' FROM reporting_daily "
        "WHERE brand = 'aurora' AND product = 'sportsbook'",
    )  # fmt: skip
    assert cell == (6, 6_00, True)
