"""Withdrawals in the domain: funds held at once, reviewed by finance, paid out or returned."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from domain.accounts.models import Player, PlayerStatus
from domain.brands.service import BrandRegistry
from domain.compliance.errors import AccountSuspended
from domain.integrations.psp import (
    PayoutRequest,
    PayoutResult,
    ProviderStatus,
    ProviderUnavailable,
)
from domain.kernel.db import Database
from domain.kernel.errors import DomainError, PermissionDenied, ReasonRequired
from domain.kernel.outbox import OutboxEvent
from domain.kernel.paging import InvalidCursor
from domain.payments import service as payments
from domain.payments.errors import (
    PaymentNotFound,
    ReasonTooLong,
    WithdrawalAlreadyReviewed,
)
from domain.payments.models import PaymentStatus
from domain.wallets.errors import InsufficientFunds
from tests.domain.payments.support import (
    BRAND,
    PSP,
    apply,
    approve_and_pay_out,
    assert_invariants,
    audit_actions,
    clearing_total,
    deposited,
    payment_row,
    requested_withdrawal,
    staff,
    wallet_balances,
)
from tests.support import create_player

FINANCE = staff("finance")


async def _funded_player(db: Database, registry: BrandRegistry, cash_minor: int) -> uuid.UUID:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, cash_minor)
    return player_id


async def test_request_moves_cash_to_withdrawal_pending_at_once(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 5000)

    payment = await requested_withdrawal(db, player_id, 2000)

    assert payment.status == PaymentStatus.REQUESTED
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}
    assert await audit_actions(db, payment.id) == ["payment.withdrawal.request"]
    await assert_invariants(db)


async def test_a_replayed_request_moves_nothing_again(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    first = await requested_withdrawal(db, player_id, 2000, key="w-1")

    again = await requested_withdrawal(db, player_id, 2000, key="w-1")

    assert again.id == first.id
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}
    await assert_invariants(db)


async def test_a_request_beyond_the_balance_changes_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 1000)

    with pytest.raises(InsufficientFunds):
        await requested_withdrawal(db, player_id, 1001)

    assert await wallet_balances(db, player_id) == {"cash": 1000, "withdrawal_pending": 0}
    async with db.uow() as uow:
        page = await payments.pending_withdrawals(uow, FINANCE, brand=BRAND)
    assert page.payments == []


async def test_approved_payout_sends_the_pending_funds_to_the_psp(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2000)

    paid = await approve_and_pay_out(db, payment, FINANCE)

    assert paid.status == PaymentStatus.SUCCEEDED
    assert paid.reviewed_by == FINANCE.id
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 0}
    assert await clearing_total(db) == -5000 + 2000
    assert await audit_actions(db, payment.id) == [
        "payment.withdrawal.request",
        "payment.withdrawal.approve",
        "payment.withdrawal.pay",
    ]
    async with db.uow() as uow:
        assert await payments.net_deposits(uow, BRAND, player_id) == 3000
    await assert_invariants(db)


async def test_failed_payout_returns_the_funds(db: Database, registry: BrandRegistry) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2001)  # ..01: the payout fails

    failed = await approve_and_pay_out(db, payment, FINANCE)

    assert (failed.status, failed.failure_reason) == (PaymentStatus.FAILED, "account_closed")
    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}
    assert await audit_actions(db, payment.id) == [
        "payment.withdrawal.request",
        "payment.withdrawal.approve",
        "payment.withdrawal.fail",
    ]
    await assert_invariants(db)


async def test_pending_payout_ends_by_webhook_once(db: Database, registry: BrandRegistry) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2002)  # ..02: the payout is pending
    approved = await approve_and_pay_out(db, payment, FINANCE)
    assert approved.status == PaymentStatus.APPROVED
    assert approved.psp_reference is not None
    delivery = PSP.payout_webhook(
        reference=approved.psp_reference, merchant_reference=str(payment.id),
        amount_minor=2002, currency="EUR", status=ProviderStatus.SUCCEEDED,
    )  # fmt: skip

    results = [await apply(db, delivery), await apply(db, PSP.redeliver(delivery))]

    assert [result.applied for result in results] == [True, False]
    assert (await payment_row(db, payment.id)).status == PaymentStatus.SUCCEEDED
    assert await wallet_balances(db, player_id) == {"cash": 2998, "withdrawal_pending": 0}
    await assert_invariants(db)


async def test_reject_returns_the_funds_with_the_reason_audited(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2000)

    async with db.transaction() as uow:
        rejected = await payments.reject_withdrawal(
            uow, FINANCE, brand=BRAND, payment_id=payment.id, reason="  KYC pending  "
        )

    assert (rejected.status, rejected.review_reason) == (PaymentStatus.REJECTED, "KYC pending")
    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}
    assert await audit_actions(db, payment.id) == [
        "payment.withdrawal.request",
        "payment.withdrawal.reject",
    ]
    await assert_invariants(db)


async def test_a_reviewed_withdrawal_cannot_be_reviewed_again(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2000)
    await approve_and_pay_out(db, payment, FINANCE)

    async with db.uow() as uow:
        with pytest.raises(WithdrawalAlreadyReviewed):
            await payments.reject_withdrawal(
                uow, FINANCE, brand=BRAND, payment_id=payment.id, reason="changed my mind"
            )

    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 0}


@pytest.mark.parametrize(
    ("reason", "error"),
    [("   ", ReasonRequired), ("x" * 501, ReasonTooLong), ("one\nforged line", DomainError)],
)
async def test_reject_needs_a_reason(
    db: Database, registry: BrandRegistry, reason: str, error: type[Exception]
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2000)

    async with db.uow() as uow:
        with pytest.raises(error):
            await payments.reject_withdrawal(
                uow, FINANCE, brand=BRAND, payment_id=payment.id, reason=reason
            )

    assert (await payment_row(db, payment.id)).status == PaymentStatus.REQUESTED


@pytest.mark.parametrize("role", ["support", "risk", "crm", "trader"])
async def test_staff_without_withdrawal_approve_change_nothing(
    db: Database, registry: BrandRegistry, role: str
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2000)

    async with db.uow() as uow:
        with pytest.raises(PermissionDenied):
            await payments.approve_withdrawal(uow, staff(role), brand=BRAND, payment_id=payment.id)
        with pytest.raises(PermissionDenied):
            await payments.reject_withdrawal(
                uow, staff(role), brand=BRAND, payment_id=payment.id, reason="no"
            )
        with pytest.raises(PermissionDenied):
            await payments.pending_withdrawals(uow, staff(role), brand=BRAND)

    assert (await payment_row(db, payment.id)).status == PaymentStatus.REQUESTED
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}
    assert await audit_actions(db, payment.id) == ["payment.withdrawal.request"]


async def test_another_brands_withdrawal_is_not_found(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    payment = await requested_withdrawal(db, player_id, 2000)

    async with db.uow() as uow:
        with pytest.raises(PaymentNotFound):
            await payments.approve_withdrawal(
                uow, FINANCE, brand="northstar", payment_id=payment.id
            )
        page = await payments.pending_withdrawals(uow, FINANCE, brand="northstar")

    assert page.payments == []
    assert (await payment_row(db, payment.id)).status == PaymentStatus.REQUESTED


async def test_the_review_queue_pages_oldest_first(db: Database, registry: BrandRegistry) -> None:
    player_id = await _funded_player(db, registry, 5000)
    made = [await requested_withdrawal(db, player_id, 100 * n) for n in (1, 2, 3)]

    async with db.uow() as uow:
        first = await payments.pending_withdrawals(uow, FINANCE, brand=BRAND, first=2)
        cursor = payments.QueueCursor.decode(first.cursor_of(first.payments[-1]))
        second = await payments.pending_withdrawals(
            uow, FINANCE, brand=BRAND, first=2, after=cursor
        )
        with pytest.raises(InvalidCursor):
            payments.QueueCursor.decode("bm90LWEtY3Vyc29y")

    assert [p.id for p in first.payments] == [made[0].id, made[1].id]
    assert first.has_next_page is True
    assert ([p.id for p in second.payments], second.has_next_page) == ([made[2].id], False)


async def test_a_suspended_player_cannot_withdraw(db: Database, registry: BrandRegistry) -> None:
    player_id = await _funded_player(db, registry, 5000)
    async with db.transaction() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        player.status = PlayerStatus.SUSPENDED.value

    with pytest.raises(AccountSuspended):
        await requested_withdrawal(db, player_id, 2000)

    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}


async def test_a_self_excluded_player_may_still_withdraw(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await _funded_player(db, registry, 5000)
    async with db.transaction() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        player.status = PlayerStatus.SELF_EXCLUDED.value

    payment = await requested_withdrawal(db, player_id, 2000)

    assert payment.status == PaymentStatus.REQUESTED
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}


class _CountingPsp:
    """The test PSP, slowed down and counting payout calls (to see overlapping submissions)."""

    def __init__(self) -> None:
        self.payout_calls = 0

    async def request_payout(self, request: PayoutRequest) -> PayoutResult:
        self.payout_calls += 1
        await asyncio.sleep(0.2)
        return await PSP.request_payout(request)


async def test_concurrent_submissions_place_one_payout(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 5000)
    payment = await requested_withdrawal(db, player_id, 2000)
    async with db.transaction() as uow:
        await payments.approve_withdrawal(uow, staff("finance"), brand=BRAND, payment_id=payment.id)
    psp = _CountingPsp()

    async def submit() -> object:
        async with db.transaction() as uow:
            return await payments.submit_payout(
                uow,
                psp,  # type: ignore[arg-type]
                brand=BRAND,
                payment_id=payment.id,
            )

    placed = await asyncio.gather(*(submit() for _ in range(3)))

    assert psp.payout_calls == 1
    assert sum(result is not None for result in placed) == 1
    assert (await payment_row(db, payment.id)).status == PaymentStatus.SUCCEEDED
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 0}
    await assert_invariants(db)


async def test_an_unreachable_psp_leaves_the_payout_queued_and_a_retry_places_it(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 5000)
    payment = await requested_withdrawal(db, player_id, 2005)  # ..05: the PSP is unreachable
    async with db.transaction() as uow:
        await payments.approve_withdrawal(uow, staff("finance"), brand=BRAND, payment_id=payment.id)

    with pytest.raises(ProviderUnavailable):
        async with db.transaction() as uow:
            await payments.submit_payout(uow, PSP, brand=BRAND, payment_id=payment.id)

    row = await payment_row(db, payment.id)
    assert (row.status, row.psp_reference) == (PaymentStatus.APPROVED, None)
    assert await wallet_balances(db, player_id) == {"cash": 2995, "withdrawal_pending": 2005}
    async with db.uow() as uow:
        queued = await uow.session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.topic == "payments.payout_requested")
        )
    assert queued == 1  # the worker's retries come from this message
    await assert_invariants(db)


async def test_a_psp_contradicting_a_final_payout_is_audited_and_moves_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    await deposited(db, player_id, 5000)
    payment = await requested_withdrawal(db, player_id, 2001)  # ..01: the payout fails
    failed = await approve_and_pay_out(db, payment, staff("finance"))
    assert failed.psp_reference is not None

    late = await apply(
        db,
        PSP.payout_webhook(
            reference=failed.psp_reference,
            merchant_reference=str(payment.id),
            amount_minor=2001,
            currency="EUR",
            status=ProviderStatus.SUCCEEDED,
        ),
    )

    assert (late.applied, late.conflict) == (False, True)
    assert (await payment_row(db, payment.id)).status == PaymentStatus.FAILED
    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}
    assert (await audit_actions(db, payment.id))[-1] == "payment.psp_conflict"
    await assert_invariants(db)
