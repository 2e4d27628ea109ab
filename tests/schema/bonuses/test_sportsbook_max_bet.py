"""placeBet under an active bonus: a stake above its max bet is a typed error inside the
placement (no bet, no liability, no progress, no money moved); a stake within it counts at
the grant's sportsbook contribution (0 % by default on casino bonuses)."""

from __future__ import annotations

from domain.bonuses import grants, offers
from domain.bonuses.models import OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Contributions, Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.domain.bonuses.test_jurisdiction_rules import CRM
from tests.schema.sportsbook.support import add_market, cash_of, signed_in_bettor
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.support import AURORA
from tests.web.providers.conftest import execute


async def _grant(db: Database, registry: BrandRegistry, player_id: object, sportsbook: int) -> None:
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name="Gift", code=None, currency="GBP",
        terms=Terms(bonus_minor=1000, wagering_multiplier=10, max_bet_minor=500,
                    contributions=Contributions(product={"casino": 100, "sportsbook": sportsbook})),
        eligibility=Eligibility(),
    )  # fmt: skip
    async with db.transaction() as uow:
        offer = await offers.create_offer(uow, CRM, registry.get("aurora"), draft)
        await grants.grant_by_staff(
            uow, CRM, "aurora", offer, player_id, bonus_minor=None, reason="gift"
        )
        await uow.commit()


async def test_a_stake_above_the_bonus_max_bet_is_refused_with_a_typed_error(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, player_id = await signed_in_bettor(server, AURORA, db)
    await _grant(db, registry, player_id, sportsbook=50)

    refused = await bettor.query(
        PLACE_BET, {"i": single(market.outcomes["home"], "2.50", "k-1", "5.01")}
    )
    placed = await bettor.query(
        PLACE_BET, {"i": single(market.outcomes["home"], "2.50", "k-2", "5.00")}
    )

    assert [(e["code"], e["field"]) for e in refused.data["placeBet"]["errors"]] == [
        ("BONUS_MAX_BET_EXCEEDED", "stake")
    ]
    assert placed.data["placeBet"]["errors"] == []
    assert await execute(db, "SELECT count(*) FROM sportsbook_bets") == [(1,)]
    assert await cash_of(db, player_id) == 100_00 - 500
    assert await execute(db, "SELECT wagered_minor, staked_by_contribution FROM bonus_grants") == [
        (250, {"50": 500})
    ]
    await bettor.aclose()
