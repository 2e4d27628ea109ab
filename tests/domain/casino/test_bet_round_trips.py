"""The bet callback is the hot path: two statements inside the caller's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS
from domain.casino.errors import InvalidGame
from domain.casino.protocol import WalletOperation, WalletRequest
from domain.casino.service import bet
from domain.kernel.db import Database
from tests.support import statements_of
from tests.web.providers.conftest import game_player


async def test_a_bet_is_one_context_read_and_one_function_call(
    db: Database, registry: BrandRegistry
) -> None:
    player = await game_player(db, registry)
    requests = [
        WalletRequest(
            operation=WalletOperation.BET,
            request_uuid=f"req-{n}",
            token=player.token,
            user=str(player.player_id),
            transaction_uuid=f"bet-{n}",
            round="r1",
            game_code="originals-dice",
            amount_minor=100,
            currency="EUR",
        )
        for n in (1, 2)
    ]
    aurora = registry.get("aurora")
    # The brand's first bet in a currency opens its wagers counter-account; later ones don't.
    async with db.transaction() as uow:
        await bet(uow, brand=aurora, provider=ORIGINALS.code, request=requests[0])

    with statements_of(db) as statements:
        async with db.transaction() as uow:
            reply = await bet(uow, brand=aurora, provider=ORIGINALS.code, request=requests[1])

    assert reply.balance_minor == 600
    assert len(statements) == 2, statements
    assert "stakehouse_casino_bet" in statements[1]


async def test_a_bet_on_a_switched_off_game_is_refused_by_the_context_read_alone(
    db: Database, registry: BrandRegistry
) -> None:
    player = await game_player(db, registry)
    await _switch_dice(db, enabled=False)
    request = WalletRequest(
        operation=WalletOperation.BET,
        request_uuid="req-1",
        token=player.token,
        user=str(player.player_id),
        transaction_uuid="bet-1",
        round="r1",
        game_code="originals-dice",
        amount_minor=100,
        currency="EUR",
    )

    try:
        with statements_of(db) as statements, pytest.raises(InvalidGame):
            async with db.transaction() as uow:
                await bet(
                    uow, brand=registry.get("aurora"), provider=ORIGINALS.code, request=request
                )
    finally:
        # The catalogue outlives each test (only players' data is truncated).
        await _switch_dice(db, enabled=True)

    # The switches are part of the one context read: no round trip is added.
    assert len(statements) == 1, statements


async def _switch_dice(db: Database, *, enabled: bool) -> None:
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE casino_brand_games SET enabled = :enabled WHERE brand = 'aurora' AND "
                "game_id = (SELECT id FROM casino_games WHERE code = 'originals-dice')"
            ),
            {"enabled": enabled},
        )
