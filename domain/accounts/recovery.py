"""Account recovery by e-mail: single-use tokens for e-mail verification and password
reset, and what following them does.

A token is 256 random bits; only its SHA-256 is stored (as session tokens), so the token
exists only in the e-mail that carries it. Tokens expire (settings), are consumed on use,
and issuing a new one of a purpose voids the player's older ones, so only the newest link
of an e-mail thread works. Unknown, used, expired and other brands' tokens get one reply
(InvalidToken): a guess learns nothing.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update

from domain.accounts import passwords, sessions, throttle
from domain.accounts.errors import InvalidToken
from domain.accounts.models import AccountToken, Player, PrincipalKind, TokenPurpose
from domain.accounts.sessions import hash_token
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.settings import get_settings

TOKEN_BYTES = 32
# A token longer than this is not one of ours: refused before it is hashed or looked up.
TOKEN_LENGTH_MAX = 64


def lifetime(purpose: TokenPurpose) -> timedelta:
    settings = get_settings()
    if purpose is TokenPurpose.RESET_PASSWORD:
        return timedelta(minutes=settings.password_reset_minutes)
    return timedelta(hours=settings.email_verification_hours)


async def issue_token(uow: UnitOfWork, player: Player, purpose: TokenPurpose) -> str:
    """A new token of `purpose` for `player`; voids the player's unused older ones."""
    now = clock.now()
    await uow.session.execute(
        update(AccountToken)
        .where(
            AccountToken.player_id == player.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    uow.session.add(
        AccountToken(
            token_hash=hash_token(token),
            player_id=player.id,
            purpose=purpose,
            expires_at=now + lifetime(purpose),
        )
    )
    await uow.flush()
    return token


async def _consume(uow: UnitOfWork, brand: str, purpose: TokenPurpose, token: str) -> Player:
    """The player a live token of `purpose` on `brand` belongs to; the token is used up.
    Errors: InvalidToken."""
    if not token or len(token) > TOKEN_LENGTH_MAX or not token.isascii():
        raise InvalidToken(field="token")
    now = clock.now()
    # One conditional UPDATE: of two concurrent uses of one token, exactly one wins.
    player_id = await uow.session.scalar(
        update(AccountToken)
        .where(
            AccountToken.token_hash == hash_token(token),
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(AccountToken.player_id)
        .execution_options(synchronize_session=False)
    )
    player = (
        await uow.session.scalar(
            select(Player).where(Player.id == player_id, Player.brand == brand).with_for_update()
        )
        if player_id is not None
        else None
    )
    if player is None:
        # Another brand's token stays unused there: this transaction is not committed.
        raise InvalidToken(field="token")
    return player


async def verify_email(uow: UnitOfWork, brand: str, token: str) -> Player:
    """Mark the e-mail address of the token's player verified. Errors: InvalidToken."""
    player = await _consume(uow, brand, TokenPurpose.VERIFY_EMAIL, token)
    if player.email_verified_at is None:
        player.email_verified_at = clock.now()
    await uow.flush()
    return player


async def reset_password(uow: UnitOfWork, brand: str, token: str, new_password: str) -> Player:
    """Set a new password with a reset token: the registration rules apply, the token is
    used up and every session of the player ends (whoever had the old password is out).
    Following the link also proves the e-mail address is the player's.
    Errors: InvalidToken, PasswordTooShort, PasswordTooLong, PasswordTooWeak."""
    player = await _consume(uow, brand, TokenPurpose.RESET_PASSWORD, token)
    problem = passwords.password_problem(new_password, player.email, player.phone, player.username)
    if problem is not None:
        problem.field = "newPassword"
        raise problem
    player.password_hash = await passwords.hash_password(new_password)
    if player.email_verified_at is None:
        player.email_verified_at = clock.now()
    await sessions.revoke_all(
        uow, kind=PrincipalKind.PLAYER, principal_id=player.id, reason="password_reset"
    )
    # The failed guesses that may have locked the account were against the old password.
    await throttle.clear_account(uow, throttle.account_key("player", str(player.id)))
    await uow.flush()
    return player
