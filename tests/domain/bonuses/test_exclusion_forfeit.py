"""Self-exclusion or closure forfeits every active bonus, through accounts' status event
(compliance does not import bonuses), once per event; other statuses leave bonuses alone."""

from __future__ import annotations

from domain.accounts.events import PlayerStatusChanged
from domain.bonuses import grants, lifecycle, offers
from domain.bonuses.models import OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.bonuses.test_jurisdiction_rules import CRM
from tests.support import create_player
from tests.web.providers.conftest import execute, wallets
from workers.actors import bonuses as bonus_actors
from workers.routing import actors_for


async def test_a_self_excluded_player_forfeits_active_bonuses_once(
    db: Database, registry: BrandRegistry
) -> None:
    player_id = await create_player(db, registry)
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name="Gift", code=None, currency="EUR",
        terms=Terms(bonus_minor=1000, wagering_multiplier=10), eligibility=Eligibility(),
    )  # fmt: skip
    async with db.transaction() as uow:
        offer = await offers.create_offer(uow, CRM, registry.get("aurora"), draft)
        await grants.grant_by_staff(
            uow, CRM, "aurora", offer, player_id, bonus_minor=None, reason="gift"
        )
        await uow.commit()

    async with db.transaction() as uow:
        suspended = await lifecycle.forfeit_on_status(
            uow, event_id=1, brand="aurora", player_id=player_id, status="suspended"
        )
        excluded = await lifecycle.forfeit_on_status(
            uow, event_id=2, brand="aurora", player_id=player_id, status="self_excluded"
        )
        again = await lifecycle.forfeit_on_status(
            uow, event_id=2, brand="aurora", player_id=player_id, status="self_excluded"
        )
        await uow.commit()

    assert (suspended, excluded, again) == (0, 1, 0)
    assert await wallets(db, player_id) == {"cash": 0, "bonus": 0}
    assert await execute(db, "SELECT state, end_reason FROM bonus_grants") == [
        ("forfeited", "self-exclusion")
    ]
    assert bonus_actors.forfeit_on_status in actors_for(PlayerStatusChanged.topic)
