"""Helpers for the payments tests (domain, GraphQL, callbacks): the test PSP, balances,
audit rows, invariants, and domain shortcuts that run each step in its own transaction as
the resolvers do."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.principal import Principal
from domain.integrations.psp import ProviderStatus
from domain.integrations.psp_sandbox import SandboxPsp, WebhookDelivery
from domain.kernel import clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.payments import service as payments
from domain.payments.models import Payment
from domain.wallets import invariants
from domain.wallets.models import HouseAccountKind, LedgerEntry, WalletKind
from domain.wallets.service import balances, house_account_id

BRAND = "aurora"
PSP = SandboxPsp()


async def wallet_balances(db: Database, player_id: uuid.UUID) -> dict[str, int]:
    """cash and withdrawal_pending of the player, in minor units."""
    async with db.uow() as uow:
        found = {b.kind: b.amount_minor for b in await balances(uow, BRAND, player_id)}
    return {
        "cash": found.get(WalletKind.CASH, 0),
        "withdrawal_pending": found.get(WalletKind.WITHDRAWAL_PENDING, 0),
    }


async def clearing_total(db: Database, currency: str = "EUR") -> int:
    """The PSP clearing account's balance (a house account: the sum of its entries)."""
    async with db.transaction() as uow:
        account = await house_account_id(uow, BRAND, HouseAccountKind.PSP_CLEARING, currency)
        total = await uow.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.account_id == account
            )
        )
    return int(total or 0)


async def payment_row(db: Database, payment_id: uuid.UUID) -> Payment:
    async with db.uow() as uow:
        payment = await uow.session.get(Payment, payment_id)
    assert payment is not None
    return payment


async def audit_actions(db: Database, payment_id: uuid.UUID) -> list[str]:
    async with db.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "payment", AuditEntry.subject_id == str(payment_id))
            .order_by(AuditEntry.id)
        )
        return list(rows)


async def assert_invariants(db: Database) -> None:
    async with db.uow() as uow:
        report = await invariants.check(uow)
    assert report.ok, report.violations


async def opened_deposit(
    db: Database, player_id: uuid.UUID, amount_minor: int, *, key: str | None = None
) -> Payment:
    """A hosted deposit claimed, opened at the test PSP and recorded (PENDING)."""
    async with db.transaction() as uow:
        payment = await payments.initiate_deposit(
            uow,
            brand=BRAND,
            player_id=player_id,
            amount_minor=amount_minor,
            currency="EUR",
            idempotency_key=key or uuid.uuid4().hex,
            provider=PSP.name,
        )
    session = await PSP.create_deposit(payments.deposit_request(payment))
    async with db.transaction() as uow:
        return await payments.open_deposit(uow, brand=BRAND, payment_id=payment.id, session=session)


async def apply(db: Database, delivery: WebhookDelivery) -> payments.WebhookResult:
    """Verify and apply a delivery in one transaction, as the callback endpoint does."""
    event = PSP.verify_webhook(delivery.headers, delivery.body, now=clock.now())
    async with db.transaction() as uow:
        return await payments.apply_webhook(uow, brand=BRAND, provider=PSP.name, event=event)


def deposit_webhook(payment: Payment, status: ProviderStatus) -> WebhookDelivery:
    assert payment.psp_reference is not None
    return PSP.deposit_webhook(
        reference=payment.psp_reference,
        merchant_reference=str(payment.id),
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        status=status,
    )


def staff(*roles: str) -> Principal:
    """A fully signed-in staff principal of aurora (no session row: domain tests only)."""
    return Principal(
        PrincipalKind.STAFF, uuid.uuid4(), uuid.uuid4(), BRAND, True, roles=roles,
        permissions=permissions_for(list(roles)),
    )  # fmt: skip


async def requested_withdrawal(
    db: Database, player_id: uuid.UUID, amount_minor: int, *, key: str | None = None
) -> Payment:
    async with db.transaction() as uow:
        return await payments.request_withdrawal(
            uow, brand=BRAND, player_id=player_id, amount_minor=amount_minor, currency="EUR",
            idempotency_key=key or uuid.uuid4().hex, provider=PSP.name,
        )  # fmt: skip


async def approve_and_pay_out(db: Database, payment: Payment, actor: Principal) -> Payment:
    """What approveWithdrawal and then the payments.submit_payout worker do: approve
    (committed, payout queued), place the payout with the PSP and record its answer."""
    async with db.transaction() as uow:
        await payments.approve_withdrawal(uow, actor, brand=BRAND, payment_id=payment.id)
    async with db.transaction() as uow:
        paid = await payments.submit_payout(uow, PSP, brand=BRAND, payment_id=payment.id)
    assert paid is not None
    return paid


async def deposited(db: Database, player_id: uuid.UUID, amount_minor: int) -> None:
    """A deposit the PSP confirmed: the player's cash is up by `amount_minor`."""
    payment = await opened_deposit(db, player_id, amount_minor)
    await apply(db, deposit_webhook(payment, ProviderStatus.SUCCEEDED))
