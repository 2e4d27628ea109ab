"""Attribution: the session keeps the first or the latest landing code, and registration
refers the player to that code's affiliate once; an unknown code refers no one."""

from __future__ import annotations

import pytest

from domain.affiliates import attribution
from domain.affiliates.attribution import Touch, kept_code
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.affiliates.support import affiliate, cpa_plan, referred_player
from tests.domain.reporting.support import execute


@pytest.mark.parametrize(
    ("cookie", "landing", "touch", "kept"),
    [
        (None, "aff-1", Touch.FIRST, "aff-1"),
        ("aff-1", "aff-2", Touch.FIRST, "aff-1"),
        ("aff-1", "aff-2", Touch.LAST, "aff-2"),
        ("aff-1", None, Touch.LAST, "aff-1"),
        ("aff-1", "<script>", Touch.LAST, "aff-1"),  # a malformed code is ignored
        ("x" * 65, None, Touch.FIRST, None),
        (None, None, Touch.LAST, None),
    ],
)
def test_the_session_keeps_the_first_or_last_landing_code(
    cookie: str | None, landing: str | None, touch: Touch, kept: str | None
) -> None:
    assert kept_code(cookie, landing, touch) == kept


async def test_registration_refers_the_player_once_and_unknown_codes_nobody(
    db: Database, registry: BrandRegistry
) -> None:
    created = await affiliate(db, "Cpa Partners", cpa_plan(), "cpa-spring")
    player_id = await referred_player(db, registry, "cpa-spring")
    await referred_player(db, registry, "unknown-code")
    await referred_player(db, registry, None)
    # Another brand's code is not this brand's.
    await referred_player(db, registry, "cpa-spring", brand="northstar", currency="SEK")
    async with db.transaction() as uow:
        assert not await attribution.refer(uow, "aurora", player_id, "cpa-spring")

    assert await execute(db, "SELECT player_id, affiliate_id, code FROM affiliate_referrals") == [
        (player_id, created.affiliate.id, "cpa-spring")
    ]
