"""Launching a game: a game session (token, player, brand, game, currency, mode, expiry)
and the URL the player's browser opens at the provider."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from domain.accounts.errors import PlayerNotFound
from domain.accounts.models import Player
from domain.casino.errors import DemoUnavailable, GameNotFound
from domain.casino.models import BrandGame, CasinoGame, CasinoProvider, GameMode, GameSession
from domain.compliance.service import Activity, ensure_allowed
from domain.kernel import clock
from domain.kernel.db import UnitOfWork

# How long a provider may take bets on one launch; wins and rollbacks are accepted after.
SESSION_TTL = timedelta(hours=4)


@dataclass(frozen=True)
class Launch:
    session_id: uuid.UUID
    # Shown once (in the URL); only its hash is stored.
    token: str
    url: str
    expires_at: datetime


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def launch(
    uow: UnitOfWork,
    *,
    brand: str,
    player_id: uuid.UUID,
    provider: str,
    game_code: str,
    mode: GameMode = GameMode.REAL,
) -> Launch:
    """Open a game session for a game the brand offers. Real money passes the compliance
    guard first. Errors: GameNotFound, DemoUnavailable, PlayerNotFound, AccountSuspended,
    SelfExcluded, AccountClosed."""
    found = (
        await uow.session.execute(
            select(CasinoGame, CasinoProvider.launch_url)
            .join(CasinoProvider, CasinoProvider.code == CasinoGame.provider)
            .join(BrandGame, BrandGame.game_id == CasinoGame.id)
            .where(
                BrandGame.brand == brand,
                BrandGame.enabled.is_(True),
                CasinoGame.provider == provider,
                CasinoGame.code == game_code,
            )
        )
    ).first()
    if found is None:
        raise GameNotFound(field="gameCode")
    game, launch_url = found
    if mode is GameMode.DEMO and not game.demo_available:
        raise DemoUnavailable(field="mode")
    if mode is GameMode.REAL:
        await ensure_allowed(uow, brand, player_id, Activity.WAGER)
    currency = await uow.session.scalar(
        select(Player.currency).where(Player.id == player_id, Player.brand == brand)
    )
    if currency is None:
        raise PlayerNotFound(field="playerId")
    token = secrets.token_urlsafe(32)
    session = GameSession(
        token_hash=token_hash(token),
        brand=brand,
        player_id=player_id,
        provider=provider,
        game_id=game.id,
        currency=currency,
        mode=mode.value,
        expires_at=clock.now() + SESSION_TTL,
    )
    uow.session.add(session)
    await uow.flush()
    # `user` is what the provider sends back in every wallet call (the protocol's `user`).
    query = urlencode(
        {
            "game": game_code,
            "token": token,
            "mode": mode.value,
            "currency": currency,
            "user": str(player_id),
        }
    )
    return Launch(session.id, token, f"{launch_url}?{query}", session.expires_at)
