"""The signed bet callback, end to end over HTTP, costs the bet path's two statements: the
app around it (middleware, brand, signature, unit of work) adds no SQL."""

from __future__ import annotations

from domain.kernel.db import Database
from tests.schema.wallets.support import counted_statements
from tests.web.provider_simulator import ProviderSimulator
from tests.web.providers.conftest import GamePlayer, wallets


async def test_one_bet_callback_is_one_context_read_and_one_bet_function_call(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    # The brand's first bet in a currency opens its wagers counter-account; later ones don't.
    await provider.bet("bet-1", 100, "round-1")

    with counted_statements() as statements:
        reply = await provider.bet("bet-2", 100, "round-1")

    assert (reply.status, reply.balance) == ("RS_OK", 600)
    assert await wallets(db, player.player_id) == {"cash": 100, "bonus": 500}
    assert len(statements) == 2, statements
    assert "FROM casino_game_sessions" in statements[0]
    assert "stakehouse_casino_bet" in statements[1]


async def test_a_replayed_bet_callback_is_answered_by_the_context_read_alone(
    db: Database, provider: ProviderSimulator, player: GamePlayer
) -> None:
    first = await provider.bet("bet-1", 100, "round-1")

    with counted_statements() as statements:
        again = await provider.bet("bet-1", 100, "round-1")

    assert (again.status, again.balance) == (first.status, first.balance) == ("RS_OK", 700)
    assert await wallets(db, player.player_id) == {"cash": 200, "bonus": 500}
    assert len(statements) == 1, statements
