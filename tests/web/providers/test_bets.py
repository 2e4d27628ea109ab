"""Authenticate, balance and bet callbacks over real HTTP with real signatures."""

from __future__ import annotations

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.web.provider_simulator import ProviderSimulator
from tests.web.providers.conftest import GamePlayer, execute, game_player, wallets


async def test_authenticate_and_balance_show_cash_and_bonus_together(
    provider: ProviderSimulator, player: GamePlayer
) -> None:
    authenticated = await provider.authenticate()
    balance = await provider.balance()

    for reply in (authenticated, balance):
        assert reply.http_status == 200
        assert reply.body | {"request_uuid": None} == {
            "status": "RS_OK",
            "request_uuid": None,
            "user": str(player.player_id),
            "currency": "EUR",
            "balance": 800,
        }


async def test_a_bet_takes_cash_first_then_bonus_and_records_an_open_round(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    reply = await provider.bet("bet-1", 500, "round-1")

    assert (reply.status, reply.balance) == ("RS_OK", 300)
    assert await wallets(db, player.player_id) == {"cash": 0, "bonus": 300}
    assert await execute(
        db, "SELECT status, bet_minor, win_minor FROM casino_rounds WHERE round_ref = 'round-1'"
    ) == [("open", 500, 0)]
    assert await execute(db, "SELECT kind, status, stake_split FROM casino_transactions") == [
        ("bet", "accepted", {"cash": 300, "bonus": 200})
    ]


async def test_a_replayed_bet_answers_the_original_reply_and_debits_once(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    first = await provider.bet("bet-1", 100)
    await provider.bet("bet-2", 100)
    again = await provider.bet("bet-1", 100)

    assert (first.status, first.balance) == ("RS_OK", 700)
    # The original balance, not today's (600): the provider reconciles against it.
    assert (again.status, again.balance) == ("RS_OK", 700)
    assert await wallets(db, player.player_id) == {"cash": 100, "bonus": 500}


async def test_the_same_id_with_another_amount_round_or_game_is_a_duplicate(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100, "round-1")

    replies = [
        await provider.bet("bet-1", 101, "round-1"),
        await provider.bet("bet-1", 100, "round-2"),
        await provider.bet("bet-1", 100, "round-1", game_code="originals-crash"),
    ]

    assert [r.status for r in replies] == ["RS_ERROR_DUPLICATE_TRANSACTION"] * 3
    assert await wallets(db, player.player_id) == {"cash": 200, "bonus": 500}


async def test_the_same_id_from_another_user_is_a_duplicate(
    db: Database, registry: BrandRegistry, provider: ProviderSimulator, server: str
) -> None:
    other = await game_player(db, registry)
    other_provider = ProviderSimulator(server, other.token, str(other.player_id))
    await provider.bet("bet-1", 100)

    reply = await other_provider.bet("bet-1", 100)
    await other_provider.aclose()

    assert reply.status == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert await wallets(db, other.player_id) == {"cash": 300, "bonus": 500}


async def test_a_bet_above_the_balance_is_refused_with_the_real_balance(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    reply = await provider.bet("bet-1", 801)

    assert (reply.status, reply.balance) == ("RS_ERROR_NOT_ENOUGH_MONEY", 800)
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}
    assert await execute(db, "SELECT count(*) FROM casino_transactions") == [(0,)]
    assert await execute(db, "SELECT count(*) FROM casino_rounds") == [(0,)]


async def test_an_expired_token_refuses_bets_but_not_wins(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100)
    await execute(db, "UPDATE casino_game_sessions SET expires_at = now() - interval '1 second'")

    bet = await provider.bet("bet-2", 100)
    win = await provider.win("win-1", "bet-1", 250)

    assert bet.status == "RS_ERROR_TOKEN_EXPIRED"
    assert (win.status, win.balance) == ("RS_OK", 950)
    assert await wallets(db, player.player_id) == {"cash": 450, "bonus": 500}


async def test_a_suspended_or_self_excluded_player_is_disabled_at_bet_time(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    statuses = []
    for status in ("suspended", "self_excluded", "closed"):
        await execute(db, "UPDATE players SET status = :status", status=status)
        statuses.append((await provider.bet(f"bet-{status}", 100)).status)

    assert statuses == ["RS_ERROR_USER_DISABLED"] * 3
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}


async def test_tokens_currencies_and_games_must_be_the_sessions(
    provider: ProviderSimulator, db: Database, player: GamePlayer
) -> None:
    replies = {
        "token": await provider.bet("b1", 100, token="x" * 43),
        "user": await provider.bet("b2", 100, user="someone-else"),
        "currency": await provider.bet("b3", 100, currency="GBP"),
        "game": await provider.bet("b4", 100, game_code="originals-crash"),
    }

    assert {name: reply.status for name, reply in replies.items()} == {
        "token": "RS_ERROR_INVALID_TOKEN",
        "user": "RS_ERROR_INVALID_TOKEN",
        "currency": "RS_ERROR_WRONG_CURRENCY",
        "game": "RS_ERROR_INVALID_GAME",
    }
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}


async def test_a_closed_round_takes_no_more_bets(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await provider.bet("bet-1", 100, "round-1", round_closed=True)

    late = await provider.bet("bet-2", 100, "round-1")

    assert late.status == "RS_ERROR_UNKNOWN"
    assert await wallets(db, player.player_id) == {"cash": 200, "bonus": 500}
