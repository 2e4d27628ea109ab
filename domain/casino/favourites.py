"""A player's favourite games. Adding or removing twice is the same as once."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from domain.brands.service import Brand
from domain.casino.errors import GameNotFound
from domain.casino.lobby import Game, offered_game
from domain.casino.models import FavouriteGame
from domain.kernel.db import UnitOfWork


async def add_favourite(
    uow: UnitOfWork, brand: Brand, player_id: uuid.UUID, game_id: uuid.UUID | None
) -> Game:
    """Mark a listed game as a favourite. Errors: GameNotFound (unknown, or not listed on
    the brand)."""
    game = await offered_game(uow, brand, game_id)
    if game is None:
        raise GameNotFound(field="game")
    await uow.session.execute(
        insert(FavouriteGame)
        .values(player_id=player_id, game_id=game.id, brand=brand.slug)
        .on_conflict_do_nothing()
    )
    return game


async def remove_favourite(
    uow: UnitOfWork, brand: Brand, player_id: uuid.UUID, game_id: uuid.UUID | None
) -> Game:
    """Unmark a game, also one switched off since. Errors: GameNotFound (not offered on
    the brand at all)."""
    game = await offered_game(uow, brand, game_id, include_disabled=True)
    if game is None:
        raise GameNotFound(field="game")
    await uow.session.execute(
        delete(FavouriteGame).where(
            FavouriteGame.player_id == player_id, FavouriteGame.game_id == game.id
        )
    )
    return game
