"""Demo offers: each demo brand gets a welcome deposit match, a weekly cashback, free spins
on the Originals slot, a free bet and a loyalty programme with tiers, in its own currency,
within its jurisdiction's rules, once."""

from __future__ import annotations

from domain.bonuses.demo import demo_drafts, seed_demo_offers
from domain.bonuses.offers import create_demo_offer
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from tests.web.providers.conftest import execute


async def test_every_demo_brand_gets_its_offers_once_within_its_rules(
    db: Database, registry: BrandRegistry
) -> None:
    async with db.transaction() as uow:
        made = [await seed_demo_offers(uow, brand) for brand in registry.by_slug.values()]
    async with db.transaction() as uow:
        again = [await seed_demo_offers(uow, brand) for brand in registry.by_slug.values()]

    assert made == [4] * len(registry.by_slug)
    assert again == [0] * len(registry.by_slug)
    assert await execute(
        db,
        "SELECT brand, kind, code, currency, (terms ->> 'wagering_multiplier')::int "
        "FROM bonus_offers ORDER BY brand, kind",
    ) == [
        ("aurora", "cashback", None, "EUR", 0),
        ("aurora", "deposit_match", "WELCOME", "EUR", 35),
        ("aurora", "free_bet", None, "EUR", 0),
        ("aurora", "free_spins", None, "EUR", 10),
        ("kumo", "cashback", None, "JPY", 0),
        ("kumo", "deposit_match", "WELCOME", "JPY", 35),
        ("kumo", "free_bet", None, "JPY", 0),
        ("kumo", "free_spins", None, "JPY", 10),
        ("northstar", "cashback", None, "SEK", 0),
        ("northstar", "deposit_match", "WELCOME", "SEK", 35),
        ("northstar", "free_bet", None, "SEK", 0),
        ("northstar", "free_spins", None, "SEK", 10),
    ]
    assert await execute(
        db,
        "SELECT brand, offer.terms ->> 'free_spin_stake_minor', offer.terms ->> 'winnings_wallet'"
        " FROM bonus_offers offer WHERE kind = 'free_spins' ORDER BY brand",
    ) == [("aurora", "20", "bonus"), ("kumo", "30", "bonus"), ("northstar", "200", "bonus")]
    tiers = await execute(
        db,
        "SELECT brand, jsonb_path_query_array(config, '$.tiers[*].name') FROM loyalty_programmes"
        " ORDER BY brand",
    )
    assert tiers == [
        (brand, ["Bronze", "Silver", "Gold"]) for brand in ("aurora", "kumo", "northstar")
    ]


async def test_a_uk_brand_gets_its_welcome_offer_at_10x(
    db: Database, registry: BrandRegistry
) -> None:
    uk = registry.get("aurora").model_copy(update={"jurisdiction": "GB"})
    async with db.transaction() as uow:
        assert await seed_demo_offers(uow, uk) == 4
    assert await execute(
        db, "SELECT (terms ->> 'wagering_multiplier')::int FROM bonus_offers WHERE code = 'WELCOME'"
    ) == [(10,)]


async def test_a_demo_offer_missing_from_an_earlier_seed_is_added_alone(
    db: Database, registry: BrandRegistry
) -> None:
    aurora = registry.get("aurora")
    welcome = demo_drafts(aurora)[0]
    async with db.transaction() as uow:
        await create_demo_offer(uow, aurora, welcome)  # an earlier seed made this one only
    async with db.transaction() as uow:
        made = await seed_demo_offers(uow, aurora)

    assert made == 3
    assert await execute(db, "SELECT kind FROM bonus_offers ORDER BY kind") == [
        ("cashback",),
        ("deposit_match",),
        ("free_bet",),
        ("free_spins",),
    ]
