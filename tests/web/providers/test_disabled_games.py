"""A game switched off, its provider switched off, or the game restricted in the brand's
jurisdiction after the launch: the session takes no new bets (RS_ERROR_INVALID_GAME, nothing
changes), but what was staked before still settles."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from domain.kernel.db import Database
from tests.web.provider_simulator import PROVIDER, ProviderSimulator
from tests.web.providers.conftest import BRAND, GAME, GamePlayer, execute, wallets

SWITCH_GAME_OFF = """
UPDATE casino_brand_games SET enabled = false
 WHERE brand = :brand
   AND game_id = (SELECT id FROM casino_games WHERE provider = :provider AND code = :game)
"""
SWITCH_PROVIDER_OFF = """
INSERT INTO casino_brand_providers (brand, provider, enabled) VALUES (:brand, :provider, false)
ON CONFLICT (brand, provider) DO UPDATE SET enabled = false
"""
# Aurora's jurisdiction is MT (themes/aurora/theme.toml).
RESTRICT_GAME = """
UPDATE casino_games SET restricted_jurisdictions = '{SE,MT}'
 WHERE provider = :provider AND code = :game
"""
SWITCHES = {
    "game off": SWITCH_GAME_OFF,
    "provider off": SWITCH_PROVIDER_OFF,
    "restricted": RESTRICT_GAME,
}


SWITCH_GAME_ON = SWITCH_GAME_OFF.replace("enabled = false", "enabled = true")
UNRESTRICT_GAME = RESTRICT_GAME.replace("'{SE,MT}'", "'{}'")


@pytest.fixture(autouse=True)
async def _restore_the_catalogue(db: Database) -> AsyncIterator[None]:
    yield
    # The catalogue outlives each test (only players' data is truncated): put it back.
    await switch(db, SWITCH_GAME_ON)
    await switch(db, UNRESTRICT_GAME)


async def switch(db: Database, statement: str) -> None:
    await execute(db, statement, brand=BRAND, provider=PROVIDER, game=GAME)


@pytest.mark.parametrize("change", SWITCHES)
async def test_a_bet_on_a_game_no_longer_playable_is_refused_with_no_effect(
    db: Database, provider: ProviderSimulator, player: GamePlayer, change: str
) -> None:
    await switch(db, SWITCHES[change])

    reply = await provider.bet("bet-1", 100, "round-1")

    assert reply.http_status == 200
    assert reply.body == {
        "status": "RS_ERROR_INVALID_GAME",
        "request_uuid": reply.body["request_uuid"],
        "user": str(player.player_id),
        "currency": "EUR",
        "balance": None,
    }
    assert await wallets(db, player.player_id) == {"cash": 300, "bonus": 500}
    assert await execute(db, "SELECT count(*) FROM casino_transactions") == [(0,)]
    assert await execute(db, "SELECT count(*) FROM casino_rounds") == [(0,)]
    assert await execute(
        db, "SELECT count(*) FROM ledger_transactions WHERE kind = 'casino.bet'"
    ) == [(0,)]


@pytest.mark.parametrize("change", SWITCHES)
async def test_bets_placed_before_the_switch_still_win_roll_back_and_replay(
    db: Database, provider: ProviderSimulator, player: GamePlayer, change: str
) -> None:
    await provider.bet("bet-1", 100, "round-1")
    await provider.bet("bet-2", 100, "round-2")
    await switch(db, SWITCHES[change])

    replayed = await provider.bet("bet-1", 100, "round-1")
    refused = await provider.bet("bet-3", 100, "round-3")
    win = await provider.win("win-1", "bet-1", 250, "round-1", round_closed=True)
    rollback = await provider.rollback("rollback-1", "bet-2", "round-2")

    # The replay answers the original reply (700 then), as the protocol promises.
    assert (replayed.status, replayed.balance) == ("RS_OK", 700)
    assert refused.status == "RS_ERROR_INVALID_GAME"
    assert (win.status, win.balance) == ("RS_OK", 850)
    assert (rollback.status, rollback.balance) == ("RS_OK", 950)
    assert await wallets(db, player.player_id) == {"cash": 450, "bonus": 500}
    assert await execute(
        db, "SELECT transaction_uuid, status FROM casino_transactions ORDER BY id"
    ) == [
        ("bet-1", "accepted"),
        ("bet-2", "rolled_back"),
        ("win-1", "accepted"),
        ("rollback-1", "accepted"),
    ]


async def test_a_game_switched_back_on_takes_bets_again(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await switch(db, SWITCH_GAME_OFF)
    refused = await provider.bet("bet-1", 100)
    await switch(db, SWITCH_GAME_ON)

    accepted = await provider.bet("bet-2", 100)

    assert refused.status == "RS_ERROR_INVALID_GAME"
    assert (accepted.status, accepted.balance) == ("RS_OK", 700)
    assert await wallets(db, player.player_id) == {"cash": 200, "bonus": 500}


async def test_a_restriction_in_another_jurisdiction_does_not_refuse_bets(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    await execute(
        db,
        "UPDATE casino_games SET restricted_jurisdictions = '{SE,CW}' WHERE code = :game",
        game=GAME,
    )

    reply = await provider.bet("bet-1", 100)

    assert (reply.status, reply.balance) == ("RS_OK", 700)
