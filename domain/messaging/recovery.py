"""The e-mails of account recovery: verification at registration (and on request) and
password reset. What following their links does is accounts' (domain.accounts.recovery).

A password reset answers the same for every well-formed address, and does the same work
either way: an address with an account gets the reset link, an address without one gets
a note that someone asked (so its owner knows, and the requester learns nothing). Both
are throttled per address and per client.
"""

from __future__ import annotations

from sqlalchemy import select

from domain.accounts import throttle
from domain.accounts.errors import (
    EmailAlreadyVerified,
    NoEmailAddress,
    PlayerNotFound,
    RecoveryThrottled,
)
from domain.accounts.identifiers import normalise_email
from domain.accounts.models import Player
from domain.accounts.principal import Principal, require_player
from domain.brands.service import Brand
from domain.kernel.db import UnitOfWork
from domain.kernel.settings import get_settings
from domain.messaging import mail
from domain.messaging.models import EmailKind, EmailMessage

RESET_EMAIL_SCOPE = "password_reset_email"
RESET_ADDRESS_SCOPE = "password_reset_address"
RESEND_SCOPE = "verification_resend"


async def queue_verification(
    uow: UnitOfWork, player: Player, *, origin: str
) -> EmailMessage | None:
    """Queue the verification e-mail of a player with an e-mail address (None without)."""
    if player.email is None:
        return None
    return await mail.queue(
        uow,
        brand=player.brand,
        kind=EmailKind.VERIFY_EMAIL,
        recipient=player.email,
        locale=player.locale,
        player_id=player.id,
        parameters={"origin": origin},
    )


async def resend_verification(
    uow: UnitOfWork, actor: Principal | None, brand: str, *, origin: str
) -> EmailMessage:
    """The signed-in player asks for the verification e-mail again; the newest link voids
    the older ones. Errors: NotAuthenticated, TwoFactorRequired, PlayerNotFound,
    NoEmailAddress, EmailAlreadyVerified, RecoveryThrottled."""
    principal = require_player(actor)
    player = await uow.session.scalar(
        select(Player).where(Player.id == principal.id, Player.brand == brand)
    )
    if player is None:
        raise PlayerNotFound()
    if player.email is None:
        raise NoEmailAddress()
    if player.email_verified_at is not None:
        raise EmailAlreadyVerified()
    limit = get_settings().verification_resends_per_player
    await throttle.count_request(uow, [(RESEND_SCOPE, str(player.id), limit)], RecoveryThrottled())
    message = await queue_verification(uow, player, origin=origin)
    assert message is not None
    return message


async def request_password_reset(
    uow: UnitOfWork, brand: Brand, email: str, *, address: str | None, origin: str
) -> None:
    """Send the reset e-mail (or, for an address without an account, the note that someone
    asked). The same outcome for both. Errors: InvalidEmail (malformed address, whoever
    owns it), RecoveryThrottled."""
    normalised = normalise_email(email)
    settings = get_settings()
    counted = [
        (
            RESET_EMAIL_SCOPE,
            throttle.account_key(f"reset:{brand.slug}", normalised),
            settings.password_resets_per_email,
        )
    ]
    if address:
        counted.append((RESET_ADDRESS_SCOPE, address, settings.password_resets_per_address))
    await throttle.count_request(uow, counted, RecoveryThrottled())
    player = await uow.session.scalar(
        select(Player).where(Player.brand == brand.slug, Player.email == normalised)
    )
    await mail.queue(
        uow,
        brand=brand.slug,
        kind=EmailKind.PASSWORD_RESET if player else EmailKind.PASSWORD_RESET_UNKNOWN,
        recipient=normalised,
        locale=player.locale if player else brand.default_locale,
        player_id=player.id if player else None,
        parameters={"origin": origin},
    )
