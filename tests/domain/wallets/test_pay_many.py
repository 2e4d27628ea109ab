"""Set-based payouts (`pay_many`, one SQL call per chunk): each payout is still its own
balanced transaction under its own key, with the semantics of posting them one by one."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.wallets import invariants
from domain.wallets.errors import IdempotencyConflict
from domain.wallets.events import BALANCE_CHANGED
from domain.wallets.ledger import IdempotencyScope
from domain.wallets.models import LedgerEntry, LedgerTransaction, WalletKind
from domain.wallets.service import balances, wallet_id
from domain.wallets.settlement import Payout, pay_many
from tests.support import create_player

SCOPE = IdempotencyScope("sportsbook", "test.payout")
KIND = "test.payout"


def _payout(player: uuid.UUID, amount: int, key: str, **split: int) -> Payout:
    return Payout(
        brand="aurora",
        player_id=player,
        currency="EUR",
        amount_minor=amount,
        stake_split={WalletKind(kind): paid for kind, paid in (split or {"cash": 1}).items()},
        key=key,
        metadata={"bet": key},
    )


async def _pay(db: Database, payouts: list[Payout]) -> dict[str, int]:
    async with db.uow() as uow:
        posted = await pay_many(uow, payouts, scope=SCOPE, kind=KIND)
        await uow.commit()
    return posted


async def _wallets(db: Database, player: uuid.UUID) -> dict[WalletKind, int]:
    async with db.uow() as uow:
        return {b.kind: b.amount_minor for b in await balances(uow, "aurora", player)}


async def _assert_invariants(db: Database) -> None:
    async with db.uow() as uow:
        report = await invariants.check(uow)
    assert report.ok, report.violations


async def test_a_chunk_posts_one_transaction_per_payout_with_running_balances(
    db: Database, registry: BrandRegistry
) -> None:
    ann, bob = await create_player(db, registry), await create_player(db, registry)

    posted = await _pay(
        db,
        [
            _payout(ann, 150, "bet:1"),
            _payout(bob, 300, "bet:2"),
            _payout(ann, 250, "bet:3"),
            _payout(ann, 100, "bet:4"),
        ],
    )

    assert sorted(posted) == ["bet:1", "bet:2", "bet:3", "bet:4"]
    assert len(set(posted.values())) == 4
    assert (await _wallets(db, ann))[WalletKind.CASH] == 500
    assert (await _wallets(db, bob))[WalletKind.CASH] == 300
    async with db.uow() as uow:
        cash = await wallet_id(uow, "aurora", ann, WalletKind.CASH, "EUR")
        entries = (
            await uow.session.execute(
                select(LedgerEntry.transaction_id, LedgerEntry.amount, LedgerEntry.balance_after)
                .where(LedgerEntry.account_id == cash)
                .order_by(LedgerEntry.id)
            )
        ).all()
        transactions = {
            t.idempotency_key: t
            for t in await uow.session.scalars(
                select(LedgerTransaction).where(LedgerTransaction.id.in_(posted.values()))
            )
        }
        events = list(
            await uow.session.scalars(
                select(OutboxEvent.payload).where(OutboxEvent.topic == BALANCE_CHANGED)
            )
        )
    # Ann's wallet saw the three payouts in the chunk's order, each entry with the
    # balance right after it, as three single postings would have left it.
    assert [(e.transaction_id, e.amount, e.balance_after) for e in entries] == [
        (posted["bet:1"], 150, 150),
        (posted["bet:3"], 250, 400),
        (posted["bet:4"], 100, 500),
    ]
    assert {key: (t.kind, t.metadata_) for key, t in transactions.items()} == {
        f"bet:{n}": (KIND, {"bet": f"bet:{n}"}) for n in range(1, 5)
    }
    # One balance_changed event per transaction, as a single posting writes it.
    by_transaction = {event["transaction_id"]: event for event in events}
    assert set(by_transaction) == set(posted.values())
    assert by_transaction[posted["bet:3"]]["changes"] == [
        {
            "player_id": str(ann),
            "wallet": "cash",
            "currency": "EUR",
            "balance_minor": 400,
            "delta_minor": 250,
        }
    ]
    await _assert_invariants(db)


async def test_a_payout_goes_back_in_the_proportion_the_stake_was_paid(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)

    await _pay(db, [_payout(player, 1000, "bet:split", cash=300, bonus=100)])

    wallets = await _wallets(db, player)
    assert (wallets[WalletKind.CASH], wallets[WalletKind.BONUS]) == (750, 250)
    await _assert_invariants(db)


async def test_a_replayed_chunk_moves_nothing_and_returns_the_original_transactions(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)
    first = await _pay(db, [_payout(player, 100, "bet:a"), _payout(player, 200, "bet:b")])

    # A redelivered chunk, partly new: the old keys answer with their transactions.
    again = await _pay(
        db,
        [_payout(player, 100, "bet:a"), _payout(player, 200, "bet:b"), _payout(player, 5, "c")],
    )

    assert {key: again[key] for key in first} == first
    assert again["c"] not in first.values()
    assert (await _wallets(db, player))[WalletKind.CASH] == 305
    await _assert_invariants(db)


async def test_a_key_reused_for_another_payout_is_a_conflict_and_nothing_moves(
    db: Database, registry: BrandRegistry
) -> None:
    player = await create_player(db, registry)
    await _pay(db, [_payout(player, 100, "bet:x")])

    with pytest.raises(IdempotencyConflict):
        await _pay(db, [_payout(player, 7, "bet:new"), _payout(player, 999, "bet:x")])

    assert (await _wallets(db, player))[WalletKind.CASH] == 100
    async with db.uow() as uow:
        keys = set(await uow.session.scalars(select(LedgerTransaction.idempotency_key)))
    assert keys == {"bet:x"}
    await _assert_invariants(db)


async def test_concurrent_chunks_paying_the_same_players_neither_deadlock_nor_double_pay(
    db: Database, registry: BrandRegistry
) -> None:
    players = [await create_player(db, registry) for _ in range(6)]

    def chunk(market: int) -> list[Payout]:
        # Every chunk pays every player, in the order pay_many sorts them into.
        return [_payout(p, 10 + market, f"m{market}:p{i}") for i, p in enumerate(players)]

    # Four markets settle at once, each chunk delivered twice.
    await asyncio.gather(*(_pay(db, chunk(market)) for market in range(4) for _ in range(2)))

    for player in players:
        assert (await _wallets(db, player))[WalletKind.CASH] == 10 + 11 + 12 + 13
    await _assert_invariants(db)
