"""A bonus the engine converts lands in the daily report's bonus columns: granted, then
converted up to its cap with the rest forfeited, each under the kind the bonus engine
writes (reporting once named the conversion `bonus.convert` and missed it)."""

from __future__ import annotations

from domain.bonuses import grants, lifecycle, offers
from domain.bonuses.models import GrantState, OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.bonuses.test_jurisdiction_rules import CRM
from tests.domain.reporting.support import apply_outbox, execute
from tests.support import create_player


async def test_a_conversion_shows_in_the_daily_reports_bonus_columns(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name="Gift", code=None, currency="EUR",
        terms=Terms(bonus_minor=20_00, wagering_multiplier=0, max_conversion_multiplier=None),
        eligibility=Eligibility(),
    )  # fmt: skip
    async with db.transaction() as uow:
        offer = await offers.create_offer(uow, CRM, registry.get("aurora"), draft)
        grant = await grants.grant_by_staff(
            uow, CRM, "aurora", offer, player_id, bonus_minor=20_00, reason="gift"
        )
        grant.max_conversion_minor = 15_00  # converts 15.00, forfeits 5.00
        await uow.commit()
    async with db.transaction() as uow:
        await lifecycle.end_grant(
            uow, "aurora", grant.id, GrantState.CONVERTED,
            actor=lifecycle.Actor.system(), reason="wagering complete",
        )  # fmt: skip

    await apply_outbox(db)

    assert await execute(
        db,
        "SELECT product, currency, sum(bonus_granted_minor), sum(bonus_converted_minor),"
        " sum(bonus_forfeited_minor) FROM reporting_daily WHERE brand = 'aurora'"
        " GROUP BY product, currency",
    ) == [("account", "EUR", 20_00, 15_00, 5_00)]
