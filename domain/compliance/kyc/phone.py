"""Proving the profile's mobile phone is the player's: a six-digit code sent to it by text
message (domain.messaging.phone sends it), typed back within minutes. The profile then
shows it verified (`player_profiles.phone_verified_at`, cleared when the number changes),
and only a verified phone receives marketing text messages.

The code is made when the message is sent (so it exists only in the text message) and only
its SHA-256, salted with its row's id and bound to the number it went to, is stored; a new
code voids the older ones, and a code for a number the player has since changed verifies
nothing. Every guess counts against the player (a short window, as sign-in failures), so
six digits are not guessed: after GUESSES_MAX tries the player waits. A wrong, used or
expired code gets one reply (InvalidPhoneCode).
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
from domain.compliance.kyc.models import PlayerProfile
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork

CODE_DIGITS: Final = 6
CODE_MINUTES: Final = 10
GUESS_SCOPE: Final = "phone_code_guess"
GUESSES_MAX: Final = 5


def _hash(token_id: uuid.UUID, phone: str, code: str) -> bytes:
    return hash_token(f"{token_id}:{phone}:{code}")


async def profile_to_verify(
    uow: UnitOfWork, actor: Principal | None, brand: str
) -> tuple[PlayerProfile, str]:
    """The signed-in player's profile, locked, and its phone, if not yet verified.
    Errors: NotAuthenticated, TwoFactorRequired, PlayerNotFound, NoPhoneNumber,
    PhoneAlreadyVerified."""
    principal = require_player(actor)
    player_id = await uow.session.scalar(
        select(Player.id).where(Player.id == principal.id, Player.brand == brand)
    )
    if player_id is None:
        raise PlayerNotFound()
    profile = await uow.session.get(PlayerProfile, player_id, with_for_update=True)
    if profile is None or profile.phone is None:
        raise NoPhoneNumber()
    if profile.phone_verified_at is not None:
        raise PhoneAlreadyVerified()
    return profile, profile.phone


async def issue_code(uow: UnitOfWork, player: Player) -> str:
    """A new code for the player's profile phone; voids their unused older ones.
    Errors: NoPhoneNumber (the number was removed since the code was asked for)."""
    profile = await uow.session.get(PlayerProfile, player.id)
    if profile is None or profile.phone is None:
        raise NoPhoneNumber()
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
            token_hash=_hash(token_id, profile.phone, code),
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
    counted. Errors: those of `profile_to_verify`, RecoveryThrottled (too many guesses)."""
    profile, phone = await profile_to_verify(uow, actor, brand)
    await throttle.count_request(
        uow, [(GUESS_SCOPE, str(profile.player_id), GUESSES_MAX)], RecoveryThrottled()
    )
    typed = code.strip()
    now = clock.now()
    live = await uow.session.scalar(
        select(AccountToken)
        .where(
            AccountToken.player_id == profile.player_id,
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
        or not hmac.compare_digest(_hash(live.id, phone, typed), live.token_hash)
    ):
        return InvalidPhoneCode(field="code")
    live.used_at = now
    profile.phone_verified_at = now
    await uow.flush()
    await audit.record(
        uow, actor_kind="player", actor_id=profile.player_id, action="player.phone.verified",
        subject_type="player", subject_id=profile.player_id, brand=brand,
        reason="texted code", before={"phone_verified": False}, after={"phone_verified": True},
    )  # fmt: skip
    return None
