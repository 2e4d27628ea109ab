"""The read model end to end through the real broker: a registration and a deposit commit
outbox events, the relay hands them to Redis, a real dramatiq Worker runs the reporting
actors; redelivered messages count once."""

from __future__ import annotations

from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.reporting.support import ledger_move, player
from tests.workers import (
    eventually,
    flushed_broker,  # noqa: F401 (autouse fixture)
    queued_messages,
    running_worker,
)
from workers.actors import broker, reporting
from workers.relay import relay_batch


async def account_figures(db: Database) -> tuple[int, int, int, int] | None:
    async with db.uow() as uow:
        row = (
            await uow.session.execute(
                text(
                    "SELECT sum(registrations), sum(deposits), sum(deposits_minor), "
                    "sum(first_depositors) FROM reporting_daily "
                    "WHERE brand = 'aurora' AND product = 'account'"
                )
            )
        ).one()
    return None if row[0] is None else tuple(int(v) for v in row)  # type: ignore[return-value]


async def test_the_actor_counts_a_registration_and_a_deposit_once_each_however_delivered(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await player(db, registry, "aurora", "EUR")
    await ledger_move(db, "aurora", player_id, "EUR", 25_00)
    await relay_batch(db, limit=100)
    sent = queued_messages(reporting.QUEUE)
    # One message for the relay's batch: the registration and the deposit together.
    assert len(sent) == 1
    # At-least-once delivery: the broker may hand every message over twice.
    for message in sent:
        broker.enqueue(message)

    async def applied() -> bool:
        return await account_figures(db) == (1, 1, 25_00, 1) and not queued_messages(
            reporting.QUEUE
        )

    async with running_worker(reporting.QUEUE):
        await eventually(applied)

    assert await account_figures(db) == (1, 1, 25_00, 1)
