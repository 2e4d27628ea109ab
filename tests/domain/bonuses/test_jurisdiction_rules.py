"""Jurisdiction bonus rules: on a UK (GB) brand wagering is capped at 10x and an offer may
not mix products; elsewhere neither applies. No demo brand is UK, so the test gives aurora
a UK licence (the rules are read from the brand's `jurisdiction`)."""

from __future__ import annotations

import uuid

import pytest

from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.principal import Principal
from domain.bonuses.errors import MixedProductOffer, WageringCapExceeded
from domain.bonuses.models import OfferKind
from domain.bonuses.offers import OfferDraft, create_offer
from domain.bonuses.rules import BonusRules, bonus_rules
from domain.bonuses.terms import Contributions, Eligibility, Terms
from domain.brands.service import Brand, BrandRegistry
from domain.compliance.jurisdictions import pack_for
from domain.kernel.db import Database
from tests.web.providers.conftest import execute

CRM = Principal(
    kind=PrincipalKind.STAFF, id=uuid.uuid4(), session_id=uuid.uuid4(), brand=None,
    fully_authenticated=True, roles=("crm",), permissions=permissions_for(["crm"]),
)  # fmt: skip


def _draft(multiplier: int, contributions: Contributions | None = None) -> OfferDraft:
    return OfferDraft(
        kind=OfferKind.DEPOSIT_MATCH,
        name=f"Welcome {multiplier}x",
        code=None,
        currency="EUR",
        terms=Terms(
            match_percent=100,
            wagering_multiplier=multiplier,
            max_bet_minor=500,
            max_conversion_multiplier=5,
            contributions=contributions or Contributions(),
        ),
        eligibility=Eligibility(),
    )


def _uk(registry: BrandRegistry) -> Brand:
    return registry.get("aurora").model_copy(update={"jurisdiction": "GB"})


def test_the_rules_come_from_each_jurisdictions_pack() -> None:
    assert (bonus_rules("GB").max_wagering_multiplier, bonus_rules("GB").mixed_product_offers) == (
        10, False,
    )  # fmt: skip
    assert bonus_rules("MT").max_wagering_multiplier is None
    assert bonus_rules("CW").mixed_product_offers is True
    for code in ("GB", "MT", "SE", "CA-ON", "CW"):
        pack = pack_for(code).bonus
        assert bonus_rules(code) == BonusRules(
            pack.max_wagering_multiplier, pack.mixed_product_offers
        )


async def test_a_35x_offer_is_refused_on_a_uk_brand_and_a_10x_one_accepted(
    db: Database, registry: BrandRegistry
) -> None:
    uk = _uk(registry)
    async with db.transaction() as uow:
        with pytest.raises(WageringCapExceeded) as refused:
            await create_offer(uow, CRM, uk, _draft(35))
    assert refused.value.field == "terms.wageringMultiplier"

    async with db.transaction() as uow:
        accepted = await create_offer(uow, CRM, uk, _draft(10))
        await uow.commit()
    assert accepted.terms["wagering_multiplier"] == 10
    async with db.transaction() as uow:
        await create_offer(uow, CRM, registry.get("aurora"), _draft(35))  # Malta: uncapped
        await uow.commit()
    assert await execute(db, "SELECT name FROM bonus_offers ORDER BY name") == [
        ("Welcome 10x",), ("Welcome 35x",),
    ]  # fmt: skip


async def test_a_mixed_product_offer_is_refused_on_a_uk_brand_only(
    db: Database, registry: BrandRegistry
) -> None:
    mixed = Contributions(product={"casino": 100, "sportsbook": 100})
    casino_table_only = Contributions(product={"sportsbook": 0}, category={"table": 10})
    async with db.transaction() as uow:
        with pytest.raises(MixedProductOffer):
            await create_offer(uow, CRM, _uk(registry), _draft(10, mixed))
    async with db.transaction() as uow:
        await create_offer(uow, CRM, _uk(registry), _draft(10, casino_table_only))
        await create_offer(uow, CRM, registry.get("aurora"), _draft(10, mixed))
        await uow.commit()
    assert await execute(db, "SELECT count(*) FROM bonus_offers") == [(2,)]
