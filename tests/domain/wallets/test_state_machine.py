"""A Hypothesis state machine over the ledger: deposits, withdrawal requests, approvals (paid
or failed payout), rejections, stakes, wins and bonus grants on a few players of one brand,
plus replays and reuses of earlier idempotency keys. A model predicts every outcome (posting,
replay, conflict, insufficient funds, already reviewed) and every balance; after each step
the database must agree with the model and the ledger's invariants must hold.

Deposits and withdrawals go through the real payments service (claim, PSP session, payout
result), stakes and wins through `stakes_client.place_stake` / `stakes.pay_win` (consumption order
cash then bonus, wins split back in proportion), bonus grants through `service.transfer`.

Hypothesis is synchronous and the database is async on the session's event loop: the test
awaits the whole run in a worker thread (`asyncio.to_thread`), and each step submits its
coroutine back to the session loop with `run_coroutine_threadsafe`. The loop is otherwise
idle while the test awaits the thread, so the session's engine serves every step, and a
step that hangs fails after STEP_TIMEOUT_S instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.payments.errors import WithdrawalAlreadyReviewed
from domain.payments.models import Payment, PaymentStatus
from domain.wallets import invariants
from domain.wallets.errors import IdempotencyConflict, InsufficientFunds
from domain.wallets.models import HouseAccountKind, LedgerEntry, LedgerTransaction, WalletKind
from domain.wallets.service import balances
from tests.domain.wallets.ledger_client import (
    HOUSE_ACCOUNTS,
    Account,
    LedgerClient,
    Outcome,
    Request,
    Split,
)
from tests.support import create_player

BRAND: Final = "aurora"
CURRENCY: Final = "EUR"
PLAYERS: Final = 3
STEP_TIMEOUT_S: Final = 30.0
# About 25 x 20 = 500 steps, each one operation and one full check: ~10 s on 2 cores.
SETTINGS: Final = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    # The time a step spends in PostgreSQL is not data generation.
    suppress_health_check=[HealthCheck.too_slow],
)

T = TypeVar("T")
players = st.integers(0, PLAYERS - 1)
amounts_minor = st.integers(1, 50_000)  # up to 500.00
# Debits take a share of what the player holds, so most of them have funds to move (a
# debit of a fixed size would mostly hit an empty wallet); `overdraw` and `spend_everything`
# cover the boundary, and a share of nothing is a refused debit of 0.01.
shares_percent = st.integers(1, 100)
DECISIONS: Final = ("approve_paid", "approve_failed", "reject")
# Each decision on a withdrawal: whether the pending amount goes back to the player's cash
# (else out to the PSP), and the status the withdrawal ends in.
DECISION_OUTCOMES: Final[dict[str, tuple[bool, PaymentStatus]]] = {
    "approve_paid": (False, PaymentStatus.SUCCEEDED),
    "approve_failed": (True, PaymentStatus.FAILED),
    "reject": (True, PaymentStatus.REJECTED),
}


@dataclass(frozen=True)
class Observation:
    wallets_minor: dict[int, dict[WalletKind, int]]
    house_minor: dict[HouseAccountKind, int]
    transactions: int
    payment_statuses: dict[uuid.UUID, str]
    violations: dict[str, list[int]]


def expected_split(amount_minor: int, cash_minor: int) -> Split:
    """What a stake takes from each wallet: cash first, then bonus."""
    from_cash = min(cash_minor, amount_minor)
    split = {WalletKind.CASH: from_cash, WalletKind.BONUS: amount_minor - from_cash}
    return {wallet: paid for wallet, paid in split.items() if paid > 0}


def expected_win_split(win_minor: int, stake_split: Split) -> Split:
    """Bonus gets its proportional share rounded down; cash takes the rest."""
    total = sum(stake_split.values())
    bonus = win_minor * stake_split.get(WalletKind.BONUS, 0) // total
    shares = {WalletKind.CASH: win_minor - bonus, WalletKind.BONUS: bonus}
    return {wallet: share for wallet, share in shares.items() if share > 0}


class LedgerMachine(RuleBasedStateMachine):
    accepted = Bundle("accepted")  # requests that moved money, for replays and reuses
    refused = Bundle("refused")  # requests refused for insufficient funds, for retries
    withdrawals = Bundle("withdrawals")  # accepted withdrawal requests, not yet decided
    decided = Bundle("decided")  # withdrawals approved or rejected, for second decisions
    placed_stakes = Bundle("placed_stakes")  # accepted stakes, for wins against them

    def __init__(self, client: LedgerClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._client = client
        self._loop = loop
        self._keys = itertools.count()
        self._expected_minor: dict[Account, int] = {}
        self._transactions = 0
        # Key -> the request that claimed it and what it got (what a replay returns).
        self._outcomes: dict[str, tuple[Request, Outcome]] = {}
        self._payment_statuses: dict[uuid.UUID, str] = {}
        self._run(client.reset())

    @initialize(
        target=accepted,
        deposits=st.lists(amounts_minor, min_size=PLAYERS, max_size=PLAYERS),
        bonuses=st.lists(amounts_minor, min_size=PLAYERS, max_size=PLAYERS),
    )
    def fund_every_player(self, deposits: list[int], bonuses: list[int]) -> Any:
        """Start from funded cash and bonus wallets: Hypothesis switches rules off per example
        (swarm testing), and an example without deposits would only ever hit empty wallets."""
        requests = [self._request(p, "deposit", a) for p, a in enumerate(deposits)]
        requests += [self._request(p, "bonus", a) for p, a in enumerate(bonuses)]
        for request in requests:
            self._attempt(request)
        return multiple(*requests)

    # -- rules: each returns the request for its bundle when it moved money, else nothing --

    @rule(target=accepted, player=players, amount=amounts_minor)
    def deposit(self, player: int, amount: int) -> Any:
        return self._attempt(self._request(player, "deposit", amount))

    @rule(target=accepted, player=players, amount=amounts_minor)
    def grant_bonus(self, player: int, amount: int) -> Any:
        return self._attempt(self._request(player, "bonus", amount))

    @rule(targets=(accepted, withdrawals), player=players, share=shares_percent)
    def request_withdrawal(self, player: int, share: int) -> Any:
        amount = self._share(player, share, (WalletKind.CASH,))
        return self._attempt(self._request(player, "withdrawal", amount))

    @rule(target=decided, withdrawal=consumes(withdrawals), decision=st.sampled_from(DECISIONS))
    def decide_withdrawal(self, withdrawal: Request, decision: str) -> Request:
        payment_id = self._outcomes[withdrawal.key][1].payment_id
        assert payment_id is not None
        status = self._run(self._client.decide(payment_id, decision))
        returned, after = DECISION_OUTCOMES[decision]
        assert status == after.value
        destination = (withdrawal.player, WalletKind.CASH) if returned else None
        self._move((withdrawal.player, WalletKind.WITHDRAWAL_PENDING), destination, withdrawal)
        self._payment_statuses[payment_id] = status
        return withdrawal

    @rule(withdrawal=decided, decision=st.sampled_from(DECISIONS))
    def decide_again(self, withdrawal: Request, decision: str) -> None:
        """A second approval or rejection of a decided withdrawal: refused, nothing moves."""
        payment_id = self._outcomes[withdrawal.key][1].payment_id
        assert payment_id is not None
        outcome = self._run_refusable(self._client.decide(payment_id, decision))
        assert isinstance(outcome, WithdrawalAlreadyReviewed), outcome

    @rule(targets=(accepted, placed_stakes), player=players, share=shares_percent)
    def stake(self, player: int, share: int) -> Any:
        amount = self._share(player, share, (WalletKind.CASH, WalletKind.BONUS))
        return self._attempt(self._request(player, "stake", amount))

    @rule(targets=(accepted, placed_stakes), player=players, share=shares_percent)
    def stake_into_bonus(self, player: int, share: int) -> Any:
        """All the cash and a share of the bonus: a stake split over both wallets, whose
        wins are then split back in proportion (with rounding)."""
        amount = self._available(player, "withdrawal") + self._share(
            player, share, (WalletKind.BONUS,)
        )
        return self._attempt(self._request(player, "stake", amount))

    @rule(target=accepted, placed=placed_stakes, amount=amounts_minor)
    def win(self, placed: Request, amount: int) -> Any:
        split = tuple(sorted(self._outcomes[placed.key][1].split_minor.items()))
        request = replace(self._request(placed.player, "win", amount), split=split)
        return self._attempt(request)

    @rule(target=accepted, player=players, operation=st.sampled_from(["stake", "withdrawal"]))
    def spend_everything(self, player: int, operation: str) -> Any:
        """The boundary: a debit of exactly what is available succeeds and leaves zero."""
        wallets = (
            (WalletKind.CASH, WalletKind.BONUS) if operation == "stake" else (WalletKind.CASH,)
        )
        available = sum(self._expected_minor.get((player, w), 0) for w in wallets)
        if available == 0:
            return multiple()
        return self._attempt(self._request(player, operation, available))

    @rule(
        target=refused,
        player=players,
        operation=st.sampled_from(["stake", "withdrawal"]),
        excess=st.integers(1, 10_000),
    )
    def overdraw(self, player: int, operation: str, excess: int) -> Request:
        """One minor unit or more beyond what is available: refused, nothing moves."""
        request = self._request(player, operation, self._available(player, operation) + excess)
        self._attempt(request)
        return request

    @rule(target=accepted, request=consumes(refused))
    def retry_refused(self, request: Request) -> Any:
        """A refused request claimed no key: sent again, it is judged afresh (and moves
        money if the wallet has been funded since)."""
        return self._attempt(request)

    @rule(request=accepted)
    def replay(self, request: Request) -> None:
        """The same request again: the original reply, nothing moves."""
        self._attempt(request)

    @rule(request=accepted, delta=st.integers(1, 10_000))
    def reuse_key_with_another_amount(self, request: Request, delta: int) -> None:
        """The same key for another amount: a conflict, nothing moves."""
        self._attempt(replace(request, amount_minor=request.amount_minor + delta))

    # -- the check after every step --------------------------------------------------------

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        observed = self._run(self._observe())

        assert observed.violations == {name: [] for name in observed.violations}
        assert observed.transactions == self._transactions
        assert observed.payment_statuses == self._payment_statuses
        for player in range(PLAYERS):
            expected = {kind: self._expected_minor.get((player, kind), 0) for kind in WalletKind}
            assert observed.wallets_minor[player] == expected, player
        assert observed.house_minor == {
            kind: self._expected_minor.get((None, kind), 0) for kind in HOUSE_ACCOUNTS
        }

    # -- the model -------------------------------------------------------------------------

    def _request(self, player: int, operation: str, amount_minor: int) -> Request:
        return Request(player, operation, amount_minor, f"{operation}-{next(self._keys)}")

    def _available(self, player: int, operation: str) -> int:
        wallets = [WalletKind.CASH] + ([WalletKind.BONUS] if operation == "stake" else [])
        return sum(self._expected_minor.get((player, wallet), 0) for wallet in wallets)

    def _share(self, player: int, share_percent: int, wallets: tuple[WalletKind, ...]) -> int:
        held = sum(self._expected_minor.get((player, wallet), 0) for wallet in wallets)
        return max(1, held * share_percent // 100)

    def _move(self, source: Account | None, destination: Account | None, request: Request) -> None:
        """Move the request's amount in the model; None is the PSP clearing account."""
        clearing: Account = (None, HouseAccountKind.PSP_CLEARING)
        for account, sign in ((source or clearing, -1), (destination or clearing, 1)):
            self._expected_minor[account] = (
                self._expected_minor.get(account, 0) + sign * request.amount_minor
            )
        self._transactions += 1

    def _attempt(self, request: Request) -> Any:
        """Send `request`, assert the outcome the model predicts (posting, replay, conflict
        or insufficient funds) and update the model. Returns `request` when it moved money,
        else nothing (`multiple()`), for the rules that collect accepted requests."""
        outcome = self._run_refusable(self._client.send(request))
        known = self._outcomes.get(request.key)
        if known is not None:
            original_request, original = known
            if original_request == request:
                assert isinstance(outcome, Outcome), outcome
                assert outcome.replayed in (True, None)  # None: a payment (see Outcome)
                assert outcome.same_reply_as(original)
            else:
                assert isinstance(outcome, IdempotencyConflict), outcome
            return multiple()

        available = self._available(request.player, request.operation)
        if request.operation in ("stake", "withdrawal") and available < request.amount_minor:
            assert isinstance(outcome, InsufficientFunds), outcome
            assert outcome.balance_minor == available
            return multiple()

        assert isinstance(outcome, Outcome), outcome
        assert outcome.replayed in (False, None)
        assert outcome.payment_id not in self._payment_statuses
        self._apply(request, outcome)
        self._outcomes[request.key] = (request, outcome)
        return request

    def _apply(self, request: Request, outcome: Outcome) -> None:
        player = request.player
        cash: Account = (player, WalletKind.CASH)
        before = dict(self._expected_minor)
        if request.operation == "deposit":
            self._move(None, cash, request)
        elif request.operation == "withdrawal":
            self._move(cash, (player, WalletKind.WITHDRAWAL_PENDING), request)
        elif request.operation == "bonus":
            self._move((None, HouseAccountKind.BONUS_POOL), (player, WalletKind.BONUS), request)
        else:
            self._apply_wager(request, outcome)
        if outcome.payment_id is not None:
            deposit = request.operation == "deposit"
            assert outcome.status == ("succeeded" if deposit else "requested")
            self._payment_statuses[outcome.payment_id] = outcome.status
        if outcome.transaction_id is not None:
            # A posting reports exactly the player wallets it moved, with their new balance.
            ids = self._client.account_ids
            assert outcome.balances_minor == {
                ids[account]: balance
                for account, balance in self._expected_minor.items()
                if account[0] is not None and balance != before.get(account, 0)
            }

    def _apply_wager(self, request: Request, outcome: Outcome) -> None:
        """A stake takes cash then bonus; a win pays back in the stake's proportion."""
        player, sign = request.player, (-1 if request.operation == "stake" else 1)
        cash = self._expected_minor.get((player, WalletKind.CASH), 0)
        if request.operation == "stake":
            shares = expected_split(request.amount_minor, cash)
            assert outcome.split_minor == shares
        else:
            shares = expected_win_split(request.amount_minor, dict(request.split))
        for wallet, share in shares.items():
            self._expected_minor[player, wallet] = (
                self._expected_minor.get((player, wallet), 0) + sign * share
            )
        wagers: Account = (None, HouseAccountKind.WAGERS)
        self._expected_minor[wagers] = (
            self._expected_minor.get(wagers, 0) - sign * request.amount_minor
        )
        self._transactions += 1

    # -- the database ----------------------------------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=STEP_TIMEOUT_S)
        except TimeoutError:
            future.cancel()
            raise

    def _run_refusable(self, coroutine: Coroutine[Any, Any, T]) -> T | Exception:
        """Run a step whose expected refusals come back as values for the model to judge."""
        try:
            return self._run(coroutine)
        except (InsufficientFunds, IdempotencyConflict, WithdrawalAlreadyReviewed) as error:
            return error

    async def _observe(self) -> Observation:
        db, ids = self._client.db, self._client.account_ids
        async with db.uow() as uow:
            wallets: dict[int, dict[WalletKind, int]] = {}
            for player, player_id in enumerate(self._client.player_ids):
                found = await balances(uow, BRAND, player_id)
                assert {b.currency for b in found} == {CURRENCY}
                wallets[player] = {b.kind: b.amount_minor for b in found}
            house: dict[HouseAccountKind, int] = {}
            for kind in HOUSE_ACCOUNTS:
                total = await uow.session.scalar(
                    select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                        LedgerEntry.account_id == ids[None, kind]
                    )
                )
                house[kind] = int(total or 0)
            transactions = await uow.session.scalar(
                select(func.count()).select_from(LedgerTransaction)
            )
            payments = await uow.session.execute(select(Payment.id, Payment.status))
            statuses: dict[uuid.UUID, str] = {row.id: row.status for row in payments}
            report = await invariants.check(uow)
        return Observation(wallets, house, int(transactions or 0), statuses, report.violations)


async def test_every_step_keeps_the_model_and_the_invariants(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    player_ids = [await create_player(db, registry) for _ in range(PLAYERS)]
    client = LedgerClient(db, player_ids, brand=BRAND, currency=CURRENCY, owner_db=owner_db)
    loop = asyncio.get_running_loop()

    await asyncio.to_thread(
        run_state_machine_as_test, lambda: LedgerMachine(client, loop), settings=SETTINGS
    )
    # The run did reach the database (not a machine that skipped every step).
    assert client.calls >= SETTINGS.max_examples
