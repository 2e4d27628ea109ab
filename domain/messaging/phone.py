"""Sending the phone verification code (domain.compliance.kyc.phone checks it) to the
profile's mobile phone: a text message
in the player's language, rendered from the brand's `sms/phone_code.txt`, its code made
when it is sent, so the code is in no queue and no row, only in the message."""

from __future__ import annotations

from typing import Final

from domain.accounts import throttle
from domain.accounts.errors import RecoveryThrottled
from domain.accounts.models import Player
from domain.accounts.principal import Principal
from domain.compliance.kyc import phone
from domain.kernel.db import UnitOfWork
from domain.kernel.settings import get_settings
from domain.messaging import sms
from domain.messaging.models import SmsMessage

PHONE_CODE_KIND: Final = "phone_code"
SEND_SCOPE: Final = "phone_code_send"


async def send_code(uow: UnitOfWork, actor: Principal | None, brand: str) -> SmsMessage:
    """The signed-in player asks for a code to verify their phone (throttled: each costs a
    text message); the newest code voids the older ones. Errors: NotAuthenticated,
    TwoFactorRequired, PlayerNotFound, NoPhoneNumber, PhoneAlreadyVerified,
    RecoveryThrottled."""
    profile, number = await phone.profile_to_verify(uow, actor, brand)
    player = await uow.session.get(Player, profile.player_id)
    assert player is not None
    limit = get_settings().verification_resends_per_player
    await throttle.count_request(uow, [(SEND_SCOPE, str(player.id), limit)], RecoveryThrottled())
    return await sms.queue(
        uow,
        brand=brand,
        recipient=number,
        player_id=player.id,
        kind=PHONE_CODE_KIND,
        locale=player.locale,
        parameters={"minutes": phone.CODE_MINUTES},
    )
