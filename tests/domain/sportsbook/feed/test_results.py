"""Feed corrections converge (domain.sportsbook.feed.results), on real PostgreSQL: whatever
the order messages arrive in, and however their runs interleave with them, each market
ends as its messages in producer order say, and every bet is paid, refunded or reversed
exactly as often as that end needs."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook.feed import results
from domain.sportsbook.feed.port import EventMessage
from domain.sportsbook.feed.processing import Applied, process_message
from domain.sportsbook.models import Market, Outcome, OutcomeLiability
from domain.wallets.models import LedgerTransaction, WalletKind
from tests.domain.sportsbook.feed.support import (
    FUNDS_MINOR,
    STAKE_MINOR,
    Step,
    actual_book,
    band,
    build_book,
    bursts,
    expected_book,
    message,
)
from tests.domain.sportsbook.support import assert_ledger_ok, wallets

EVENTS = 3


async def apply(db: Database, feed_message: EventMessage) -> Applied:
    async with db.uow() as uow:
        applied = await process_message(uow, feed_message)
        await uow.commit()
    return applied


async def converge_all(db: Database) -> None:
    async with db.uow() as uow:
        markets = list(await uow.session.scalars(select(Market.id).order_by(Market.id)))
    for market_id in markets:
        assert await results.converge(db, market_id=market_id)


@pytest.mark.parametrize("seed", [1, 2])
async def test_shuffled_bursts_with_runs_in_between_end_as_producer_order_says(
    db: Database, registry: BrandRegistry, seed: int
) -> None:
    rng = random.Random(seed)
    book = await build_book(db, registry, EVENTS)
    messages, scripts = bursts(rng, EVENTS)
    expected = expected_book(book, scripts)
    deliveries = messages + messages[::3]
    rng.shuffle(deliveries)
    markets = sorted(book.markets.values())

    for delivery in deliveries:
        await apply(db, delivery)
        # A run of some market between two messages, as workers interleave them.
        assert await results.converge(db, market_id=rng.choice(markets))
    await converge_all(db)

    assert await actual_book(db) == expected.markets
    assert {p: await wallets(db, p) for p in book.players} == expected.wallets
    await assert_ledger_ok(db)


async def _one_market(db: Database, registry: BrandRegistry) -> tuple[int, int, int]:
    """The book's first market, its bet on home and the bet's player's index."""
    book = await build_book(db, registry, 1)
    market_id = book.markets[("ev:0", band(0))]
    bet_id, player, _, _ = next(b for b in book.bets if b[2] == market_id and b[3] == "home")
    return market_id, bet_id, book.players.index(player)


async def test_a_rollback_and_corrected_settlement_arriving_newest_first_pay_the_correction(
    db: Database, registry: BrandRegistry
) -> None:
    market_id, _, _ = await _one_market(db, registry)
    ref, kind = "ev:0", band(0)
    await apply(db, message(ref, kind, 2, Step("settle", "home")))
    await converge_all(db)  # settled: home paid

    corrected = await apply(db, message(ref, kind, 4, Step("settle", "away")))
    late_rollback = await apply(db, message(ref, kind, 3, Step("rollback")))
    await converge_all(db)

    assert (corrected, late_rollback) == (Applied.APPLIED, Applied.STALE)
    assert (await actual_book(db))[market_id] == ("settled", "away", (("won", 300), ("lost", 0)))
    await assert_ledger_ok(db)


async def test_cancel_rollback_cancel_and_cancel_again_refund_once_net(
    db: Database, registry: BrandRegistry
) -> None:
    market_id, _, _ = await _one_market(db, registry)
    ref, kind = "ev:0", band(0)

    for sequence, step in enumerate([Step("cancel"), Step("uncancel"), Step("cancel")], 2):
        await apply(db, message(ref, kind, sequence, step))
        await converge_all(db)

    book = await actual_book(db)
    assert book[market_id] == ("cancelled", None, (("void", 100), ("void", 100)))
    async with db.uow() as uow:
        kinds = dict(
            (await uow.session.execute(
                select(LedgerTransaction.kind, func.count()).group_by(LedgerTransaction.kind)
                .where(LedgerTransaction.kind.like("sportsbook.refund%"))
            )).all()
        )  # fmt: skip
    # Two bets: refunded, the refunds reversed, refunded again under new keys.
    assert kinds == {"sportsbook.refund": 4, "sportsbook.refund_reversal": 2}
    await assert_ledger_ok(db)


async def test_a_rollback_of_a_cancellation_reinstates_the_bets_stakes_and_liabilities(
    db: Database, registry: BrandRegistry
) -> None:
    book = await build_book(db, registry, 1)
    market_id = book.markets[("ev:0", band(0))]
    ref, kind = "ev:0", band(0)
    await apply(db, message(ref, kind, 2, Step("cancel")))
    await converge_all(db)
    cancelled = await liabilities(db, market_id)
    await apply(db, message(ref, kind, 3, Step("uncancel")))
    await converge_all(db)

    assert (await actual_book(db))[market_id] == (
        "suspended", None, (("open", None), ("open", None))
    )  # fmt: skip
    assert (cancelled, await liabilities(db, market_id)) == (
        {"away": 0, "home": 0}, {"away": 300, "home": 200}
    )  # fmt: skip
    staked = {player for _, player, _, _ in book.bets}
    assert {p: await wallets(db, p) for p in book.players} == {
        p: {WalletKind.CASH: FUNDS_MINOR - STAKE_MINOR * (p in staked)} for p in book.players
    }
    await assert_ledger_ok(db)


async def liabilities(db: Database, market_id: int) -> dict[str, int]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(Outcome.key, OutcomeLiability.liability_minor)
            .join(OutcomeLiability, OutcomeLiability.outcome_id == Outcome.id)
            .where(Outcome.market_id == market_id)
        )
        return dict(rows.all())
