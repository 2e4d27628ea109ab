"""Attribution: which affiliate brought a player.

A landing link carries `?btag=<code>`; the site keeps the code in a cookie for the session
(web/site/tracking.py) and hands it to registration. With first touch the cookie keeps the
first code seen, with last touch the latest (STAKEHOUSE_AFFILIATE_TOUCH). At registration
the player is referred to the code's affiliate, once; an unknown code refers no one (a
stale or forged cookie never blocks a registration).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy.dialects.postgresql import insert

from domain.affiliates import postbacks
from domain.affiliates.models import Affiliate, Referral, TrackingCode
from domain.affiliates.programme import CODE_PATTERN
from domain.kernel.db import UnitOfWork


class Touch(StrEnum):
    FIRST = "first"
    LAST = "last"


def kept_code(cookie: str | None, landing: str | None, touch: Touch) -> str | None:
    """The code the session keeps after a page view: the landing link's, if well formed,
    unless first touch already kept one."""
    landed = landing if landing is not None and CODE_PATTERN.fullmatch(landing) else None
    kept = cookie if cookie is not None and CODE_PATTERN.fullmatch(cookie) else None
    if touch is Touch.FIRST:
        return kept or landed
    return landed or kept


async def refer(uow: UnitOfWork, brand: str, player_id: uuid.UUID, code: str | None) -> bool:
    """Refer a newly registered player to the affiliate of `code` on this brand (no code or
    an unknown one: nobody). In the registration's transaction; True when referred now."""
    if code is None or not CODE_PATTERN.fullmatch(code):
        return False
    tracking = await uow.session.get(TrackingCode, (brand, code))
    if tracking is None:
        return False
    inserted = await uow.session.scalar(
        insert(Referral)
        .values(player_id=player_id, brand=brand, affiliate_id=tracking.affiliate_id, code=code)
        .on_conflict_do_nothing()
        .returning(Referral.player_id)
    )
    if inserted is None:
        return False
    affiliate = await uow.session.get(Affiliate, tracking.affiliate_id)
    assert affiliate is not None
    await postbacks.queue(
        uow, affiliate, "registration",
        {"code": code, "referral": postbacks.referral_ref(affiliate, player_id)},
    )  # fmt: skip
    return True
