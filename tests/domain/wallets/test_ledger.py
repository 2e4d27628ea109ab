"""The ledger under concurrency and retries: nothing lost, nothing invented."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.wallets import invariants
from domain.wallets.errors import IdempotencyConflict, InsufficientFunds, InvalidAmount
from domain.wallets.ledger import IdempotencyScope, Posting
from domain.wallets.models import HouseAccountKind, LedgerTransaction, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from tests.support import create_player

BRAND = "aurora"
ONE_EURO = 100


async def _accounts(db: Database, player_id: uuid.UUID) -> tuple[int, int, int]:
    async with db.transaction() as uow:
        cash = await wallet_id(uow, BRAND, player_id, WalletKind.CASH, "EUR")
        clearing = await house_account_id(uow, BRAND, HouseAccountKind.PSP_CLEARING, "EUR")
        wagers = await house_account_id(uow, BRAND, HouseAccountKind.WAGERS, "EUR")
    return cash, clearing, wagers


async def _move(
    db: Database, source: int, destination: int, amount: int, key: str, *, operation: str = "debit"
) -> Posting:
    async with db.uow() as uow:
        posting = await transfer(
            uow,
            brand=BRAND,
            kind=operation,
            source=source,
            destination=destination,
            amount_minor=amount,
            scope=IdempotencyScope("test", operation),
            key=key,
        )
        await uow.commit()
    return posting


async def _cash(db: Database, player_id: uuid.UUID) -> int:
    async with db.uow() as uow:
        return next(
            b.amount_minor
            for b in await balances(uow, BRAND, player_id)
            if b.kind is WalletKind.CASH
        )


async def _assert_invariants(db: Database) -> None:
    async with db.uow() as uow:
        report = await invariants.check(uow)
    assert report.ok, report.violations


@pytest.fixture
async def funded(db: Database, registry: BrandRegistry) -> tuple[uuid.UUID, int, int]:
    """A player with 500.00 cash; returns (player, cash account, wagers account)."""
    player_id = await create_player(db, registry)
    cash, clearing, wagers = await _accounts(db, player_id)
    await _move(db, clearing, cash, 500 * ONE_EURO, "fund", operation="deposit")
    return player_id, cash, wagers


async def test_1000_concurrent_debits_against_500_succeed_exactly_500_times(
    db: Database, funded: tuple[uuid.UUID, int, int]
) -> None:
    player_id, cash, wagers = funded

    async def debit(index: int) -> bool:
        try:
            await _move(db, cash, wagers, ONE_EURO, f"bet-{index}")
        except InsufficientFunds:
            return False
        return True

    outcomes = await asyncio.gather(*(debit(index) for index in range(1000)))

    assert outcomes.count(True) == 500
    assert outcomes.count(False) == 500
    assert await _cash(db, player_id) == 0
    await _assert_invariants(db)


async def test_one_key_sent_50_times_concurrently_has_one_effect(
    db: Database, funded: tuple[uuid.UUID, int, int]
) -> None:
    player_id, cash, wagers = funded

    replies = await asyncio.gather(
        *(_move(db, cash, wagers, 7 * ONE_EURO, "same-key") for _ in range(50))
    )

    assert len({(r.transaction_id, tuple(r.balances_minor.items())) for r in replies}) == 1
    assert sum(not r.replayed for r in replies) == 1
    assert await _cash(db, player_id) == 493 * ONE_EURO
    async with db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 2
    await _assert_invariants(db)


async def test_the_same_key_with_another_amount_is_a_conflict_with_no_effect(
    db: Database, funded: tuple[uuid.UUID, int, int]
) -> None:
    player_id, cash, wagers = funded
    await _move(db, cash, wagers, 5 * ONE_EURO, "k1")

    with pytest.raises(IdempotencyConflict):
        await _move(db, cash, wagers, 6 * ONE_EURO, "k1")

    assert await _cash(db, player_id) == 495 * ONE_EURO
    await _assert_invariants(db)


async def test_keys_are_scoped_by_operation(
    db: Database, funded: tuple[uuid.UUID, int, int]
) -> None:
    player_id, cash, wagers = funded

    await _move(db, cash, wagers, ONE_EURO, "k2", operation="bet")
    await _move(db, wagers, cash, ONE_EURO, "k2", operation="win")

    assert await _cash(db, player_id) == 500 * ONE_EURO


async def test_200_concurrent_credits_all_land(
    db: Database, funded: tuple[uuid.UUID, int, int]
) -> None:
    player_id, cash, wagers = funded

    await asyncio.gather(
        *(
            _move(db, wagers, cash, ONE_EURO, f"win-{index}", operation="win")
            for index in range(200)
        )
    )

    assert await _cash(db, player_id) == 700 * ONE_EURO
    await _assert_invariants(db)


@pytest.mark.parametrize("amount", [0, -100, 10**16])
async def test_bad_amounts_are_refused_and_move_nothing(
    db: Database, funded: tuple[uuid.UUID, int, int], amount: int
) -> None:
    player_id, cash, wagers = funded

    with pytest.raises(InvalidAmount):
        await _move(db, cash, wagers, amount, "bad")

    assert await _cash(db, player_id) == 500 * ONE_EURO


async def test_insufficient_funds_reports_the_real_balance(
    db: Database, funded: tuple[uuid.UUID, int, int]
) -> None:
    _, cash, wagers = funded

    with pytest.raises(InsufficientFunds) as refused:
        await _move(db, cash, wagers, 501 * ONE_EURO, "too-much")

    assert refused.value.balance_minor == 500 * ONE_EURO


async def test_a_new_player_has_every_wallet_at_zero(db: Database, registry: BrandRegistry) -> None:
    player_id = await create_player(db, registry)

    async with db.uow() as uow:
        found = await balances(uow, BRAND, player_id)

    assert {(b.kind, b.currency, b.amount_minor) for b in found} == {
        (kind, "EUR", 0) for kind in WalletKind
    }
