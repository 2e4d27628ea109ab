"""The bonuses page reads `myBonuses` and the promotions page `availableBonusOffers`: each
costs the same statements for one grant or offer as for several (no N+1)."""

from __future__ import annotations

from domain.bonuses import grants, offers
from domain.bonuses.models import OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.bonuses.test_jurisdiction_rules import CRM
from tests.schema.wallets.support import counted_statements, signed_in_player
from tests.support import AURORA

MY_BONUSES = "query { myBonuses { id state wagered { amount } terms { maxBet { amount } } } }"
OFFERS = "query { availableBonusOffers(includeAutomatic: true) { id name terms { matchPercent } } }"


async def _gift(db: Database, registry: BrandRegistry, player_id: object, name: str) -> None:
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name=name, code=None, currency="EUR",
        terms=Terms(bonus_minor=5_00, wagering_multiplier=10), eligibility=Eligibility(),
    )  # fmt: skip
    async with db.transaction() as uow:
        offer = await offers.create_offer(uow, CRM, registry.get("aurora"), draft)
        await grants.grant_by_staff(uow, CRM, "aurora", offer, player_id, bonus_minor=None,
                                    reason="test")  # fmt: skip


async def test_my_bonuses_and_the_offers_cost_the_same_statements_for_one_or_three(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    player, player_id = await signed_in_player(server, AURORA, "many@example.com")
    await _gift(db, registry, player_id, "Gift 1")
    with counted_statements() as one:
        first = await player.query(MY_BONUSES)
    with counted_statements() as one_offer:
        first_offers = await player.query(OFFERS)
    await _gift(db, registry, player_id, "Gift 2")
    await _gift(db, registry, player_id, "Gift 3")
    with counted_statements() as three:
        later = await player.query(MY_BONUSES)
    with counted_statements() as three_offers:
        later_offers = await player.query(OFFERS)

    assert (len(first.data["myBonuses"]), len(later.data["myBonuses"])) == (1, 3)
    assert len(first_offers.data["availableBonusOffers"]) == 1
    assert len(later_offers.data["availableBonusOffers"]) == 3
    assert len(one) == len(three), three
    assert len(one_offer) == len(three_offers), three_offers
    await player.aclose()
