"""Ledger events reach segments in relay batches: a batch costs a fixed number of
statements whatever its size (no read per event: each event carries when its money moved),
each event counts once, and the players it moves enter their segments."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.segments import keeping, service
from domain.segments.models import PlayerActivityDay
from domain.wallets.events import BALANCE_CHANGED
from tests.domain.reporting.support import ledger_move
from tests.domain.segments.support import (
    BRAND,
    CRM,
    DEPOSITED_100_IN_7_DAYS,
    apply_outbox,
    members,
    new_player,
)
from tests.support import statements_of


async def _ledger_events(db: Database, after_id: int) -> list[tuple[int, str | None, dict]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(OutboxEvent.id, OutboxEvent.brand, OutboxEvent.payload)
            .where(OutboxEvent.id > after_id, OutboxEvent.topic == BALANCE_CHANGED)
            .order_by(OutboxEvent.id)
        )
        return [(row.id, row.brand, row.payload) for row in rows]


async def _batch_statements(
    db: Database, registry: BrandRegistry, players: int, seen: int
) -> tuple[int, int, list[str]]:
    """Players deposit twice each; their events applied as one batch: (the batch's
    statement count, the last event id, the statements)."""
    depositors = [await new_player(db, registry) for _ in range(players)]
    for player in depositors:
        await ledger_move(db, BRAND, player, "EUR", 60_00)
        await ledger_move(db, BRAND, player, "EUR", 60_00)
    events = await _ledger_events(db, seen)
    with statements_of(db) as statements:
        async with db.transaction() as uow:
            await keeping.apply_ledger_events(uow, events)
    return len(statements), events[-1][0], statements


async def test_a_batch_of_ledger_events_costs_the_same_statements_whatever_its_size(
    db: Database, registry: BrandRegistry
) -> None:
    async with db.transaction() as uow:
        view = await service.create_rule_segment(
            uow, CRM, BRAND, "Recent depositors", DEPOSITED_100_IN_7_DAYS
        )
    seen = await apply_outbox(db)

    small, seen, _ = await _batch_statements(db, registry, 1, seen)
    large, seen, statements = await _batch_statements(db, registry, 6, seen)

    # One claim, one upsert, one evaluation of the brand's players (with what it writes).
    assert small == large == 10, [s[:80] for s in statements]
    # Each event's time comes with it: nothing reads the ledger back.
    assert not [s for s in statements if "ledger_transactions" in s]
    assert len(await members(db, view.segment.id)) == 7


async def test_a_redelivered_batch_counts_each_event_once_on_the_day_its_money_moved(
    db: Database, registry: BrandRegistry
) -> None:
    player = await new_player(db, registry)
    seen = await apply_outbox(db)
    await ledger_move(db, BRAND, player, "EUR", 40_00)
    events = await _ledger_events(db, seen)
    (_, _, payload), *_ = events
    moved_at = datetime.fromisoformat(payload["occurred_at"])

    for _ in range(2):
        async with db.transaction() as uow:
            await keeping.apply_ledger_events(uow, events + events)

    async with db.uow() as uow:
        facts = (
            await uow.session.execute(
                select(
                    PlayerActivityDay.day, PlayerActivityDay.amount_minor, PlayerActivityDay.count
                ).where(
                    PlayerActivityDay.player_id == player, PlayerActivityDay.measure == "deposit"
                )
            )
        ).all()
    assert [tuple(row) for row in facts] == [(moved_at.astimezone(UTC).date(), 40_00, 1)]
