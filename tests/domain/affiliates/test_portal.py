"""The affiliate's own view counts by the brand's business month, as its statements do,
not by UTC's."""

from __future__ import annotations

from datetime import date

from domain.affiliates import portal
from domain.affiliates.models import Affiliate
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.reporting.formula import Formula
from tests.domain.affiliates.support import affiliate, cpa_plan, referred_player
from tests.domain.reporting.support import execute


async def test_a_registration_late_on_the_last_utc_evening_counts_in_the_brands_next_month(
    db: Database, owner_db: Database, registry: BrandRegistry
) -> None:
    created = await affiliate(db, "Night Owls", cpa_plan(), "owls-1")
    late = await referred_player(db, registry, "owls-1")
    await referred_player(db, registry, "owls-1")
    # 23:30 UTC on 31 January is 00:30 on 1 February in Malta (aurora's time zone); 22:30
    # UTC is still January there.
    await execute(
        owner_db,
        "UPDATE affiliate_referrals SET registered_at = CASE WHEN player_id = :late THEN "
        "TIMESTAMPTZ '2026-01-31 23:30:00+00' ELSE TIMESTAMPTZ '2026-01-31 22:30:00+00' END",
        late=late,
    )
    assert registry.get("aurora").time_zone == "Europe/Malta"

    async with db.uow() as uow:
        found = await uow.session.get(Affiliate, created.affiliate.id)
        assert found is not None
        view = await portal.view(
            uow, found, date(2026, 1, 1), date(2026, 2, 1), Formula(), time_zone="Europe/Malta"
        )

    assert view.registrations == {date(2026, 1, 1): 1, date(2026, 2, 1): 1}
