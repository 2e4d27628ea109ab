"""Win and rollback callbacks: paid back in proportion, once; tombstones; round rules."""

from __future__ import annotations

from domain.kernel.db import Database
from tests.web.provider_simulator import ProviderSimulator
from tests.web.providers.conftest import GamePlayer, assert_invariants, execute, wallets


async def test_a_win_goes_back_in_the_proportion_the_stake_was_paid_and_closes_the_round(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 500, "round-1")  # cash 300 + bonus 200

    reply = await provider.win("win-1", "bet-1", 1000, "round-1", round_closed=True)

    assert (reply.status, reply.balance) == ("RS_OK", 1300)
    assert await wallets(db, player.player_id) == {"cash": 600, "bonus": 700}
    assert await execute(
        db, "SELECT status, bet_minor, win_minor, closed_at IS NOT NULL FROM casino_rounds"
    ) == [("closed", 500, 1000, True)]
    await assert_invariants(db)


async def test_a_replayed_win_pays_once_and_another_amount_is_a_duplicate(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100)

    first = await provider.win("win-1", "bet-1", 200)
    again = await provider.win("win-1", "bet-1", 200)
    other = await provider.win("win-1", "bet-1", 300)

    assert [(r.status, r.balance) for r in (first, again)] == [("RS_OK", 900)] * 2
    assert other.status == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await wallets(db, player.player_id) == {"cash": 400, "bonus": 500}


async def test_a_win_for_an_unknown_bet_does_not_exist_and_leaves_nothing(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100, "round-1")

    unknown = await provider.win("win-1", "no-such-bet", 200, "round-1")
    other_round = await provider.win("win-2", "bet-1", 200, "round-2")

    assert [unknown.status, other_round.status] == ["RS_ERROR_TRANSACTION_DOES_NOT_EXIST"] * 2
    assert await wallets(db, player.player_id) == {"cash": 200, "bonus": 500}
    assert await execute(db, "SELECT kind FROM casino_transactions") == [("bet",)]


async def test_a_zero_win_settles_the_round_without_moving_money(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100)

    reply = await provider.win("win-1", "bet-1", 0, round_closed=True)

    assert (reply.status, reply.balance) == ("RS_OK", 700)
    assert await execute(db, "SELECT status, win_count FROM casino_rounds") == [("closed", 1)]


async def test_a_rollback_refunds_each_wallet_what_it_paid_once(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 500)

    first = await provider.rollback("rb-1", "bet-1")
    replayed = await provider.rollback("rb-1", "bet-1")
    another_id = await provider.rollback("rb-2", "bet-1")

    assert [(r.status, r.balance) for r in (first, replayed, another_id)] == [("RS_OK", 800)] * 3
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}
    assert await execute(db, "SELECT status FROM casino_transactions WHERE kind = 'bet'") == [
        ("rolled_back",)
    ]
    assert await execute(db, "SELECT refund_minor FROM casino_rounds") == [(500,)]
    await assert_invariants(db)


async def test_a_rollback_before_its_bet_does_not_exist_and_the_late_bet_is_refused(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    rollback = await provider.rollback("rb-1", "bet-1")
    late_bet = await provider.bet("bet-1", 100)
    rollback_again = await provider.rollback("rb-1", "bet-1")

    assert rollback.status == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    assert late_bet.status == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert rollback_again.status == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}


async def test_no_rollback_of_a_bet_whose_round_has_a_win(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100)
    await provider.bet("bet-2", 100)
    await provider.win("win-1", "bet-2", 50)

    reply = await provider.rollback("rb-1", "bet-1")

    assert reply.status == "RS_ERROR_UNKNOWN"
    assert await wallets(db, player.player_id) == {"cash": 150, "bonus": 500}


async def test_a_win_for_a_rolled_back_bet_does_not_exist(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100)
    await provider.rollback("rb-1", "bet-1")

    reply = await provider.win("win-1", "bet-1", 500)

    assert reply.status == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}


async def test_rollbacks_are_accepted_after_the_token_expired(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100)
    await execute(db, "UPDATE casino_game_sessions SET expires_at = now() - interval '1 second'")

    reply = await provider.rollback("rb-1", "bet-1")

    assert (reply.status, reply.balance) == ("RS_OK", 800)


async def test_a_blocked_player_still_gets_wins_and_refunds(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100, "round-1")
    await provider.bet("bet-2", 100, "round-2")
    await execute(db, "UPDATE players SET status = 'self_excluded'")

    win = await provider.win("win-1", "bet-1", 300, "round-1")
    refund = await provider.rollback("rb-1", "bet-2", "round-2")

    assert [(win.status, win.balance), (refund.status, refund.balance)] == [
        ("RS_OK", 900),
        ("RS_OK", 1000),
    ]
