"""The console's bonuses page: CRM sees the brand's offers and its grants by state, and
cancels an active grant only with a reason (it moves to the cancelled grants); support
has no bonuses page."""

from __future__ import annotations

import re
import uuid

from domain.bonuses import grants, offers
from domain.bonuses.models import OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.bonuses.test_jurisdiction_rules import CRM
from tests.domain.reporting.support import player
from tests.web.backoffice.support import signed_in_console

GRANT = re.compile(r'name="grant" value="([^"]+)"')


async def _granted(db: Database, registry: BrandRegistry, name: str) -> None:
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name=name, code=None, currency="EUR",
        terms=Terms(bonus_minor=12_00, wagering_multiplier=5), eligibility=Eligibility(),
    )  # fmt: skip
    player_id = await player(db, registry, "aurora", "EUR")
    async with db.transaction() as uow:
        offer = await offers.create_offer(uow, CRM, registry.get("aurora"), draft)
        await grants.grant_by_staff(
            uow, CRM, "aurora", offer, player_id, bonus_minor=None, reason="welcome gift"
        )


async def test_crm_cancels_an_active_grant_with_a_reason(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    name = f"Lantern gift {uuid.uuid4().hex[:6]}"
    await _granted(db, registry, name)
    crm = await signed_in_console(server, db, "bonus-crm@op.example", ["crm"])
    support = await signed_in_console(server, db, "bonus-sup@op.example", ["support"])

    desk = await crm.get("/bonuses")
    row = desk.text[desk.text.index(name, desk.text.index('id="bonus-grants"')) :]
    grant = GRANT.search(row)
    assert grant is not None
    no_reason = await crm.post("/bonuses/cancel", {"grant": grant.group(1), "reason": " "})
    cancelled = await crm.post(
        "/bonuses/cancel", {"grant": grant.group(1), "reason": "duplicate account"}
    )
    after = await crm.get(cancelled.headers["location"])
    ended = await crm.get("/bonuses?state=CANCELLED")

    assert name in desk.text.split('id="bonus-grants"')[0]  # the offer is listed
    assert "12.00 EUR" in row.split("</tr>")[0]
    assert no_reason.status_code == 400 and "Give a reason" in no_reason.text
    assert cancelled.status_code == 303
    assert "The grant was cancelled" in after.text
    assert grant.group(1) not in after.text
    assert name in ended.text.split('id="bonus-grants"')[1]
    assert (await support.get("/bonuses")).status_code == 403
    await crm.aclose()
    await support.aclose()
