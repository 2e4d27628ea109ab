"""Concurrent, duplicate and out-of-order callbacks: the database decides, money moves once."""

from __future__ import annotations

import json

from domain.kernel.db import Database
from tests.web.provider_simulator import ProviderSimulator, concurrently
from tests.web.providers.conftest import GamePlayer, assert_invariants, execute, wallets


async def test_twenty_identical_bets_at_once_debit_once_with_twenty_identical_replies(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    body = json.dumps(
        provider.payload("bet", transaction_uuid="bet-1", amount=400, round="round-1")
    ).encode()

    replies = await provider.replay_signed("bet", body, 20)
    changed = await provider.bet("bet-1", 401, "round-1")

    assert {json.dumps(r.body, sort_keys=True) for r in replies} == {
        json.dumps(replies[0].body, sort_keys=True)
    }
    assert (replies[0].status, replies[0].balance) == ("RS_OK", 400)
    assert changed.status == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await wallets(db, player.player_id) == {"cash": 0, "bonus": 400}
    assert await execute(
        db, "SELECT count(*) FROM ledger_transactions WHERE kind = 'casino.bet'"
    ) == [(1,)]
    await assert_invariants(db)


async def test_three_concurrent_rollbacks_of_one_bet_refund_once(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 500)

    replies = await concurrently(
        lambda: provider.rollback("rb-1", "bet-1"),
        lambda: provider.rollback("rb-2", "bet-1"),
        lambda: provider.rollback("rb-3", "bet-1"),
    )
    same_id = await concurrently(*(lambda: provider.rollback("rb-1", "bet-1") for _ in range(3)))

    assert [(r.status, r.balance) for r in replies + same_id] == [("RS_OK", 800)] * 6
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}
    assert await execute(
        db, "SELECT count(*) FROM ledger_transactions WHERE kind = 'casino.rollback'"
    ) == [(1,)]
    await assert_invariants(db)


async def test_a_bet_racing_its_rollback_either_stands_refunded_or_never_happens(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    for attempt in range(5):
        bet, rollback = await concurrently(
            lambda n=attempt: provider.bet(f"bet-{n}", 100, f"round-{n}"),
            lambda n=attempt: provider.rollback(f"rb-{n}", f"bet-{n}", f"round-{n}"),
        )
        assert (bet.status, rollback.status) in {
            ("RS_OK", "RS_OK"),
            ("RS_ERROR_DUPLICATE_TRANSACTION", "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"),
        }

    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}
    await assert_invariants(db)


async def test_wins_and_bets_of_many_rounds_at_once_keep_the_ledger_balanced(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await concurrently(*(lambda i=i: provider.bet(f"bet-{i}", 50, f"round-{i}") for i in range(10)))

    replies = await concurrently(
        *(lambda i=i: provider.win(f"win-{i}", f"bet-{i}", 20, f"round-{i}") for i in range(10))
    )

    assert {r.status for r in replies} == {"RS_OK"}
    assert sum((await wallets(db, player.player_id)).values()) == 800 - 500 + 200
    await assert_invariants(db)
