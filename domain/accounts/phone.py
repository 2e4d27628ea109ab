"""Proving a phone number is the player's: a six-digit code sent to it by text message
(domain.messaging.phone sends it), typed back within minutes.

The code is made when the message is sent (so it exists only in the text message) and only
its SHA-256, salted with its row's id, is stored; a new code voids the older ones. Every
guess counts against the player (a short window, as sign-in failures), so six digits are
not guessed: after GUESSES_MAX tries the player waits. A wrong, used or expired code gets
one reply (InvalidPhoneCode). A verified phone may receive marketing text messages.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Final

from sqlalchemy import select, update

from domain.accounts import throttle
from domain.accounts.errors import (
    InvalidPhoneCode,
    NoPhoneNumber,
    PhoneAlreadyVerified,
    PlayerNotFound,
    RecoveryThrottled,
)
from domain.accounts.models import AccountToken, Player, TokenPurpose
from domain.accounts.principal import Principal, require_player
from domain.accounts.sessions import hash_token
from domain.kernel import clock
from domain.kernel.db import UnitOfWork

CODE_DIGITS: Final = 6
CODE_MINUTES: Final = 10
GUESS_SCOPE: Final = "phone_code_guess"
GUESSES_MAX: Final = 5


def _hash(token_id: uuid.UUID, code: str) -> bytes:
    return hash_token(f"{token_id}:{code}")


async def player_to_verify(uow: UnitOfWork, actor: Principal | None, brand: str) -> Player:
    """The signed-in player, locked, if they have a phone not yet verified.
    Errors: NotAuthenticated, TwoFactorRequired, PlayerNotFound, NoPhoneNumber,
    PhoneAlreadyVerified."""
    principal = require_player(actor)
    player = await uow.session.scalar(
        select(Player).where(Player.id == principal.id, Player.brand == brand).with_for_update()
    )
    if player is None:
        raise PlayerNotFound()
    if player.phone is None:
        raise NoPhoneNumber()
    if player.phone_verified_at is not None:
        raise PhoneAlreadyVerified()
    return player


async def issue_code(uow: UnitOfWork, player: Player) -> str:
    """A new code for the player's phone; voids their unused older ones."""
    now = clock.now()
    await uow.session.execute(
        update(AccountToken)
        .where(
            AccountToken.player_id == player.id,
            AccountToken.purpose == TokenPurpose.VERIFY_PHONE,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    token_id = uuid.uuid4()
    uow.session.add(
        AccountToken(
            id=token_id,
            token_hash=_hash(token_id, code),
            player_id=player.id,
            purpose=TokenPurpose.VERIFY_PHONE,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
    )
    await uow.flush()
    return code


async def verify(
    uow: UnitOfWork, actor: Principal | None, brand: str, code: str
) -> InvalidPhoneCode | None:
    """Check the signed-in player's code; a right one marks the phone verified and is used
    up. A wrong one is returned, not raised: the caller commits, so the guess stays
    counted. Errors: those of `player_to_verify`, RecoveryThrottled (too many guesses)."""
    player = await player_to_verify(uow, actor, brand)
    await throttle.count_request(
        uow, [(GUESS_SCOPE, str(player.id), GUESSES_MAX)], RecoveryThrottled()
    )
    typed = code.strip()
    now = clock.now()
    live = await uow.session.scalar(
        select(AccountToken)
        .where(
            AccountToken.player_id == player.id,
            AccountToken.purpose == TokenPurpose.VERIFY_PHONE,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .with_for_update()
    )
    if (
        live is None
        or len(typed) != CODE_DIGITS
        or not (typed.isascii() and typed.isdigit())
        or not hmac.compare_digest(_hash(live.id, typed), live.token_hash)
    ):
        return InvalidPhoneCode(field="code")
    live.used_at = now
    player.phone_verified_at = now
    await uow.flush()
    return None
