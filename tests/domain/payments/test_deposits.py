"""Deposits in the domain: claimed under the client's key, credited once on the PSP's word."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from domain.accounts.models import Player, PlayerStatus
from domain.brands.service import BrandRegistry
from domain.compliance.errors import AccountSuspended, SelfExcluded
from domain.integrations.psp import (
    InvalidWebhook,
    ProviderStatus,
    ProviderUnavailable,
    call_provider,
)
from domain.integrations.psp_sandbox import Scenario
from domain.kernel import clock
from domain.kernel.db import Database
from domain.payments import service as payments
from domain.payments.errors import AmountMismatch
from domain.payments.models import PaymentStatus
from domain.wallets.errors import IdempotencyConflict
from tests.domain.payments.support import (
    BRAND,
    PSP,
    apply,
    assert_invariants,
    audit_actions,
    clearing_total,
    deposit_webhook,
    opened_deposit,
    payment_row,
    wallet_balances,
)
from tests.support import create_player


async def _set_status(db: Database, player_id: uuid.UUID, status: PlayerStatus) -> None:
    async with db.transaction() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        player.status = status.value


async def test_hosted_deposit_is_credited_once_when_the_psp_confirms(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    payment = await opened_deposit(db, player_id, 2500)
    assert payment.status == PaymentStatus.PENDING
    assert payment.redirect_url is not None
    assert payment.redirect_url.startswith(f"/test-psp/checkout/{payment.psp_reference}?")

    (delivery,) = PSP.complete_checkout(payment.redirect_url)
    result = await apply(db, delivery)

    assert (result.applied, result.payment.status) == (True, PaymentStatus.SUCCEEDED)
    assert await wallet_balances(db, player_id) == {"cash": 2500, "withdrawal_pending": 0}
    assert await clearing_total(db) == -2500
    assert await audit_actions(db, payment.id) == [
        "payment.deposit.initiate",
        "payment.deposit.open",
        "payment.deposit.succeed",
    ]
    await assert_invariants(db)


async def test_duplicate_and_late_deliveries_credit_once(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    payment = await opened_deposit(db, player_id, 1000)
    assert payment.redirect_url is not None
    first, twin = PSP.complete_checkout(payment.redirect_url, scenario=Scenario.DUPLICATE)

    results = [await apply(db, first), await apply(db, twin), await apply(db, PSP.redeliver(first))]

    assert [result.applied for result in results] == [True, False, False]
    assert await wallet_balances(db, player_id) == {"cash": 1000, "withdrawal_pending": 0}
    await assert_invariants(db)


async def test_concurrent_deliveries_of_one_event_credit_once(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    payment = await opened_deposit(db, player_id, 1000)
    delivery = deposit_webhook(payment, ProviderStatus.SUCCEEDED)

    results = await asyncio.gather(*(apply(db, delivery) for _ in range(4)))

    assert sorted(result.applied for result in results) == [False, False, False, True]
    assert await wallet_balances(db, player_id) == {"cash": 1000, "withdrawal_pending": 0}
    await assert_invariants(db)


async def test_a_stale_first_delivery_is_refused_and_its_retry_credits(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    payment = await opened_deposit(db, player_id, 1004)
    assert payment.redirect_url is not None
    stale, retry = PSP.complete_checkout(payment.redirect_url)  # ..04: the LATE scenario

    with pytest.raises(InvalidWebhook):
        await apply(db, stale)
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}
    result = await apply(db, retry)

    assert result.applied is True
    assert await wallet_balances(db, player_id) == {"cash": 1004, "withdrawal_pending": 0}


async def test_failed_deposit_credits_nothing(db: Database, registry: BrandRegistry) -> None:
    player_id = await create_player(db, registry)
    payment = await opened_deposit(db, player_id, 1001)
    assert payment.redirect_url is not None
    (delivery,) = PSP.complete_checkout(payment.redirect_url)

    result = await apply(db, delivery)

    assert (result.applied, result.payment.status) == (True, PaymentStatus.FAILED)
    assert result.payment.failure_reason == "card_declined"
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}
    assert await clearing_total(db) == 0
    await assert_invariants(db)


async def test_pending_stays_pending_and_a_late_pending_does_not_undo_success(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    payment = await opened_deposit(db, player_id, 1002)

    pending = await apply(db, deposit_webhook(payment, ProviderStatus.PENDING))
    assert (pending.applied, pending.payment.status) == (False, PaymentStatus.PENDING)
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}
    await apply(db, deposit_webhook(payment, ProviderStatus.SUCCEEDED))
    late_pending = await apply(db, deposit_webhook(payment, ProviderStatus.PENDING))
    late_failure = await apply(db, deposit_webhook(payment, ProviderStatus.FAILED))

    assert (late_pending.applied, late_failure.applied) == (False, False)
    assert (await payment_row(db, payment.id)).status == PaymentStatus.SUCCEEDED
    assert await wallet_balances(db, player_id) == {"cash": 1002, "withdrawal_pending": 0}


async def test_an_event_with_another_amount_credits_nothing(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    payment = await opened_deposit(db, player_id, 1000)
    assert payment.psp_reference is not None
    delivery = PSP.deposit_webhook(
        reference=payment.psp_reference,
        merchant_reference=str(payment.id),
        amount_minor=100_000,
        currency="EUR",
        status=ProviderStatus.SUCCEEDED,
    )

    with pytest.raises(AmountMismatch):
        await apply(db, delivery)

    assert (await payment_row(db, payment.id)).status == PaymentStatus.PENDING
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


async def test_a_replayed_key_returns_the_same_deposit_and_other_amounts_conflict(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    first = await opened_deposit(db, player_id, 1000, key="dep-1")

    async with db.transaction() as uow:
        again = await payments.initiate_deposit(
            uow, brand=BRAND, player_id=player_id, amount_minor=1000, currency="EUR",
            idempotency_key="dep-1", provider=PSP.name,
        )  # fmt: skip
    async with db.uow() as uow:
        with pytest.raises(IdempotencyConflict):
            await payments.initiate_deposit(
                uow, brand=BRAND, player_id=player_id, amount_minor=2000, currency="EUR",
                idempotency_key="dep-1", provider=PSP.name,
            )  # fmt: skip

    assert (again.id, again.status, again.redirect_url) == (
        first.id,
        PaymentStatus.PENDING,
        first.redirect_url,
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [(PlayerStatus.SELF_EXCLUDED, SelfExcluded), (PlayerStatus.SUSPENDED, AccountSuspended)],
)
async def test_blocked_players_cannot_deposit(
    db: Database, registry: BrandRegistry, status: PlayerStatus, error: type[Exception]
) -> None:
    player_id = await create_player(db, registry)
    await _set_status(db, player_id, status)

    async with db.uow() as uow:
        with pytest.raises(error):
            await payments.initiate_deposit(
                uow, brand=BRAND, player_id=player_id, amount_minor=1000, currency="EUR",
                idempotency_key="k", provider=PSP.name,
            )  # fmt: skip

    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}


async def test_net_deposits_count_only_succeeded_deposits(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    for amount in (5000, 1001, 2000, 1002):  # ..01 fails and ..02 stays pending: not counted
        payment = await opened_deposit(db, player_id, amount)
        assert payment.redirect_url is not None
        for delivery in PSP.complete_checkout(payment.redirect_url):
            await apply(db, delivery)

    async with db.uow() as uow:
        total = await payments.net_deposits(uow, BRAND, player_id)

    assert total == 7000


async def test_a_psp_that_does_not_answer_in_time_is_unavailable() -> None:
    started = clock.now()

    with pytest.raises(ProviderUnavailable):
        await call_provider(asyncio.sleep(5), timeout_s=0.05)

    assert (clock.now() - started).total_seconds() < 1
