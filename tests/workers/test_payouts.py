"""A payout the PSP never takes ends visibly: through the real broker when the payout
actor's retries run out, and by the scheduler's sweep for ones stuck before that."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.payments import service as payments
from domain.payments.models import Payment
from tests.domain.payments.support import (
    BRAND,
    PSP,
    assert_invariants,
    audit_actions,
    deposited,
    payment_row,
    requested_withdrawal,
    staff,
    wallet_balances,
)
from tests.support import create_player
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (fixture)
from workers import payouts
from workers.actors import payments as payment_actors

UNREACHABLE_MINOR = 2005  # ..05: the test PSP cannot be reached for this payout


async def _approved(db: Database, registry: BrandRegistry, amount_minor: int) -> Payment:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 5000)
    payment = await requested_withdrawal(db, player_id, amount_minor)
    async with db.transaction() as uow:
        await payments.approve_withdrawal(uow, staff("finance"), brand=BRAND, payment_id=payment.id)
    return payment


def _abandoned(via: str) -> float:
    value = payouts.PAYOUTS_ABANDONED.labels(via=via)._value.get()
    return float(value)


async def test_a_payout_that_runs_out_of_retries_fails_and_returns_the_funds(
    db: Database, registry: BrandRegistry
) -> None:
    payment = await _approved(db, registry, UNREACHABLE_MINOR)
    abandoned_before = _abandoned("retries")

    # The relay's message with a short schedule, so its retries run out within the test.
    payment_actors.submit_payout.send_with_options(
        args=(0, BRAND, {"payment_id": str(payment.id)}),
        max_retries=2,
        min_backoff=10,
        max_backoff=10,
    )

    async def ended() -> bool:
        return (await payment_row(db, payment.id)).status == "failed"

    async with running_worker(payment_actors.QUEUE):
        await eventually(ended, timeout_s=20)

    row = await payment_row(db, payment.id)
    assert (row.status, row.failure_reason) == ("failed", payments.PAYOUT_NOT_PLACED)
    assert await wallet_balances(db, payment.player_id) == {"cash": 5000, "withdrawal_pending": 0}
    assert await audit_actions(db, payment.id) == [
        "payment.withdrawal.request",
        "payment.withdrawal.approve",
        "payment.withdrawal.fail",
    ]
    assert _abandoned("retries") == abandoned_before + 1
    await assert_invariants(db)


async def test_the_sweep_ends_payouts_stuck_past_the_retry_schedule_once(
    db: Database, registry: BrandRegistry
) -> None:
    stuck = await _approved(db, registry, UNREACHABLE_MINOR)
    recent = await _approved(db, registry, UNREACHABLE_MINOR)
    async with db.transaction() as uow:
        long_ago = clock.now() - payments.PAYOUT_STUCK_AFTER - timedelta(minutes=1)
        await uow.session.execute(
            update(Payment).where(Payment.id == stuck.id).values(updated_at=long_ago)
        )

    first = await payouts.sweep_stuck_payouts(db)
    again = await payouts.sweep_stuck_payouts(db)

    assert (first, again) == (1, 0)
    assert (await payment_row(db, stuck.id)).status == "failed"
    assert (await payment_row(db, recent.id)).status == "approved"  # its retries own it
    assert await wallet_balances(db, stuck.player_id) == {"cash": 5000, "withdrawal_pending": 0}
    assert await wallet_balances(db, recent.player_id) == {
        "cash": 5000 - UNREACHABLE_MINOR,
        "withdrawal_pending": UNREACHABLE_MINOR,
    }
    await assert_invariants(db)


async def test_a_payout_placed_meanwhile_is_not_abandoned(
    db: Database, registry: BrandRegistry
) -> None:
    payment = await _approved(db, registry, 2000)
    async with db.transaction() as uow:
        await payments.submit_payout(uow, PSP, brand=BRAND, payment_id=payment.id)

    ended = await payouts.abandon(db, BRAND, payment.id, attempts=3, via="retries")

    assert ended is False
    assert (await payment_row(db, payment.id)).status == "succeeded"
