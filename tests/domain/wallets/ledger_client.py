"""The state machine's client: each operation as the platform performs it, one committed
unit of work per step (or two, where the payments flow has a PSP call between steps).

Deposits and withdrawals use the real payments service: a deposit is claimed and then
opened with a direct charge the PSP reports as succeeded; an approved withdrawal is paid
out (or its payout fails) in a second transaction, as the service's callers do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import text

from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal
from domain.integrations.psp import DepositSession, PayoutResult, ProviderStatus
from domain.kernel.db import Database, UnitOfWork
from domain.payments import service as payments
from domain.wallets import stakes
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.domain.wallets import stakes_client

PROVIDER: Final = "test-psp"
HOUSE_ACCOUNTS: Final = (
    HouseAccountKind.PSP_CLEARING,
    HouseAccountKind.WAGERS,
    HouseAccountKind.BONUS_POOL,
)
# Every example starts from an empty ledger (the players stay: registering one hashes a
# password, far too slow to repeat per example). audit_log is append-only and stays.
LEDGER_TABLES: Final = (
    "payments",
    "ledger_entries",
    "ledger_transactions",
    "idempotency_keys",
    "ledger_accounts",
    "outbox_events",
)

# An account of the model: (player index, wallet kind) or (None, house account kind).
Account = tuple[int | None, WalletKind | HouseAccountKind]
Split = dict[WalletKind, int]


@dataclass(frozen=True)
class Request:
    """One call as a client sends it; the same Request again is a replay."""

    player: int
    operation: str  # deposit | withdrawal | bonus | stake | win
    amount_minor: int
    key: str
    # For a win: how the stake it pays was split (part of what the caller sends).
    split: tuple[tuple[WalletKind, int], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What an accepted call returned: a ledger posting, or a payment."""

    # Ledger operations: None for payments, whose service does not say.
    replayed: bool | None
    transaction_id: int | None = None
    balances_minor: dict[int, int] = field(default_factory=dict)
    split_minor: Split = field(default_factory=dict)
    payment_id: uuid.UUID | None = None
    status: str | None = None

    def same_reply_as(self, original: Outcome) -> bool:
        """A replay answers what the original answered (a payment's status may have moved
        on since, its identity not)."""
        return (
            self.transaction_id,
            self.balances_minor,
            self.split_minor,
            self.payment_id,
        ) == (
            original.transaction_id,
            original.balances_minor,
            original.split_minor,
            original.payment_id,
        )


def finance_staff() -> Principal:
    """A signed-in staff principal allowed to review withdrawals (no session row needed:
    the service checks the principal's permissions only)."""
    return Principal(
        PrincipalKind.STAFF,
        uuid.uuid4(),
        uuid.uuid4(),
        None,
        True,
        roles=("finance",),
        permissions=frozenset({Permission.WITHDRAWAL_APPROVE}),
    )


class LedgerClient:
    def __init__(
        self,
        db: Database,
        player_ids: list[uuid.UUID],
        *,
        brand: str,
        currency: str,
        owner_db: Database,
    ) -> None:
        self.db = db
        # Empties the ledger between examples: only the owner may truncate it.
        self.owner_db = owner_db
        self.player_ids = player_ids
        self.brand = brand
        self.currency = currency
        self.account_ids: dict[Account, int] = {}
        # Operations sent over the whole run (every example), refused ones included.
        self.calls = 0
        self._staff = finance_staff()

    async def reset(self) -> None:
        async with self.owner_db.transaction() as uow:
            await uow.session.execute(text(f"TRUNCATE {', '.join(LEDGER_TABLES)}"))
        async with self.db.transaction() as uow:
            for player, player_id in enumerate(self.player_ids):
                for kind in WalletKind:
                    self.account_ids[player, kind] = await wallet_id(
                        uow, self.brand, player_id, kind, self.currency
                    )
            for house in HOUSE_ACCOUNTS:
                self.account_ids[None, house] = await house_account_id(
                    uow, self.brand, house, self.currency
                )

    async def send(self, request: Request) -> Outcome:
        """Perform `request` and commit. Raises the domain error of a refusal (rolled back)."""
        self.calls += 1
        if request.operation in ("deposit", "withdrawal"):
            return await self._payment(request)
        async with self.db.uow() as uow:
            outcome = await self._posting(uow, request)
            await uow.commit()
        return outcome

    async def _payment(self, request: Request) -> Outcome:
        player_id = self.player_ids[request.player]
        async with self.db.uow() as uow:
            if request.operation == "deposit":
                payment = await payments.initiate_deposit(
                    uow, brand=self.brand, player_id=player_id,
                    amount_minor=request.amount_minor, currency=self.currency,
                    idempotency_key=request.key, provider=PROVIDER,
                )  # fmt: skip
                # A direct charge the PSP reports as final: credited in the same step.
                session = DepositSession(
                    reference=f"psp-{request.key}", redirect_url=None,
                    status=ProviderStatus.SUCCEEDED,
                )  # fmt: skip
                payment = await payments.open_deposit(
                    uow, brand=self.brand, payment_id=payment.id, session=session
                )
            else:
                payment = await payments.request_withdrawal(
                    uow, brand=self.brand, player_id=player_id,
                    amount_minor=request.amount_minor, currency=self.currency,
                    idempotency_key=request.key, provider=PROVIDER,
                )  # fmt: skip
            outcome = Outcome(replayed=None, payment_id=payment.id, status=payment.status)
            await uow.commit()
        return outcome

    async def _posting(self, uow: UnitOfWork, request: Request) -> Outcome:
        player_id = self.player_ids[request.player]
        scope = IdempotencyScope(f"player:{player_id}", request.operation)
        common = {"brand": self.brand, "scope": scope, "key": request.key}
        if request.operation == "bonus":
            posting = await transfer(
                uow, kind="bonus", amount_minor=request.amount_minor,
                source=self.account_ids[None, HouseAccountKind.BONUS_POOL],
                destination=self.account_ids[request.player, WalletKind.BONUS], **common,
            )  # fmt: skip
            return Outcome(posting.replayed, posting.transaction_id, dict(posting.balances_minor))
        if request.operation == "stake":
            stake = await stakes_client.place_stake(
                uow, player_id=player_id, currency=self.currency,
                amount_minor=request.amount_minor, **common,
            )  # fmt: skip
            posting = stake.posting
            return Outcome(
                posting.replayed, posting.transaction_id, dict(posting.balances_minor),
                dict(stake.split_minor),
            )  # fmt: skip
        assert request.operation == "win", request
        posting = await stakes.pay_win(
            uow, player_id=player_id, currency=self.currency, amount_minor=request.amount_minor,
            stake_split=dict(request.split), **common,
        )  # fmt: skip
        return Outcome(posting.replayed, posting.transaction_id, dict(posting.balances_minor))

    async def decide(self, payment_id: uuid.UUID, decision: str) -> str:
        """Approve (then record the payout's result, a second step) or reject a withdrawal;
        returns its status. Raises WithdrawalAlreadyReviewed for a decided one."""
        async with self.db.uow() as uow:
            if decision == "reject":
                payment = await payments.reject_withdrawal(
                    uow, self._staff, brand=self.brand, payment_id=payment_id, reason="test"
                )
                status = payment.status
                await uow.commit()
                return status
            await payments.approve_withdrawal(
                uow, self._staff, brand=self.brand, payment_id=payment_id
            )
            await uow.commit()
        paid = decision == "approve_paid"
        result = PayoutResult(
            reference=f"payout-{payment_id}",
            status=ProviderStatus.SUCCEEDED if paid else ProviderStatus.FAILED,
        )
        async with self.db.uow() as uow:
            payment = await payments.record_payout(
                uow, brand=self.brand, payment_id=payment_id, result=result
            )
            status = payment.status
            await uow.commit()
        return status
