"""Stakes paid in the consumption order, wins split back in proportion."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.wallets import invariants
from domain.wallets.errors import InsufficientFunds
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import balances, house_account_id, transfer, wallet_id
from domain.wallets.stakes import pay_win, split_win
from tests.domain.wallets.stakes_client import Stake, place_stake
from tests.support import create_player

BRAND = "aurora"
SCOPE = IdempotencyScope("test", "stake")


async def _fund(db: Database, player_id: uuid.UUID, wallet: WalletKind, amount: int) -> None:
    async with db.transaction() as uow:
        source = await house_account_id(uow, BRAND, HouseAccountKind.BONUS_POOL, "EUR")
        destination = await wallet_id(uow, BRAND, player_id, wallet, "EUR")
        await transfer(
            uow, brand=BRAND, kind="fund", source=source, destination=destination,
            amount_minor=amount, scope=None, key=None,
        )  # fmt: skip


async def _wallets(db: Database, player_id: uuid.UUID) -> dict[WalletKind, int]:
    async with db.uow() as uow:
        return {
            b.kind: b.amount_minor for b in await balances(uow, BRAND, player_id) if b.amount_minor
        }


async def _stake(
    db: Database, player_id: uuid.UUID, amount: int, key: str, **kwargs: object
) -> Stake:
    async with db.uow() as uow:
        stake = await place_stake(
            uow, brand=BRAND, player_id=player_id, currency="EUR", amount_minor=amount,
            scope=SCOPE, key=key, **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip
        await uow.commit()
    return stake


@pytest.fixture
async def player(db: Database, registry: BrandRegistry) -> uuid.UUID:
    """Cash 3.00 and bonus 5.00."""
    player_id = await create_player(db, registry)
    await _fund(db, player_id, WalletKind.CASH, 300)
    await _fund(db, player_id, WalletKind.BONUS, 500)
    return player_id


async def test_cash_pays_first_then_bonus_and_the_win_goes_back_in_proportion(
    db: Database, player: uuid.UUID
) -> None:
    stake = await _stake(db, player, 500, "round-1")

    assert stake.split_minor == {WalletKind.CASH: 300, WalletKind.BONUS: 200}
    assert await _wallets(db, player) == {WalletKind.BONUS: 300}

    async with db.transaction() as uow:
        await pay_win(
            uow, brand=BRAND, player_id=player, currency="EUR", amount_minor=1000,
            stake_split=stake.split_minor, scope=IdempotencyScope("test", "win"), key="round-1",
        )  # fmt: skip

    assert await _wallets(db, player) == {WalletKind.CASH: 600, WalletKind.BONUS: 700}
    async with db.uow() as uow:
        assert (await invariants.check(uow)).ok


async def test_a_brand_may_spend_bonus_first(db: Database, player: uuid.UUID) -> None:
    stake = await _stake(db, player, 600, "bonus-first", order=(WalletKind.BONUS, WalletKind.CASH))

    assert stake.split_minor == {WalletKind.BONUS: 500, WalletKind.CASH: 100}


async def test_a_stake_above_every_wallet_together_is_refused_with_the_total(
    db: Database, player: uuid.UUID
) -> None:
    with pytest.raises(InsufficientFunds) as refused:
        await _stake(db, player, 801, "too-much")

    assert refused.value.balance_minor == 800
    assert await _wallets(db, player) == {WalletKind.CASH: 300, WalletKind.BONUS: 500}


async def test_concurrent_replays_of_one_stake_pay_once_with_one_split(
    db: Database, player: uuid.UUID
) -> None:
    stakes = await asyncio.gather(*(_stake(db, player, 400, "same-round") for _ in range(20)))

    assert {tuple(s.split_minor.items()) for s in stakes} == {
        ((WalletKind.CASH, 300), (WalletKind.BONUS, 100))
    }
    assert sum(not s.posting.replayed for s in stakes) == 1
    assert await _wallets(db, player) == {WalletKind.BONUS: 400}


@pytest.mark.parametrize(
    ("win", "split", "expected"),
    [
        (
            1000,
            {WalletKind.CASH: 300, WalletKind.BONUS: 200},
            {WalletKind.CASH: 600, WalletKind.BONUS: 400},
        ),
        (1, {WalletKind.CASH: 1, WalletKind.BONUS: 2}, {WalletKind.CASH: 1}),
        (100, {WalletKind.BONUS: 50}, {WalletKind.BONUS: 100}),
        (
            7,
            {WalletKind.CASH: 1, WalletKind.BONUS: 1, WalletKind.CASINO_BONUS: 1},
            {WalletKind.CASH: 3, WalletKind.BONUS: 2, WalletKind.CASINO_BONUS: 2},
        ),
    ],
)
def test_split_win_is_exact_and_sums_to_the_win(
    win: int, split: dict[WalletKind, int], expected: dict[WalletKind, int]
) -> None:
    shares = split_win(win, split)

    assert shares == expected
    assert sum(shares.values()) == win
