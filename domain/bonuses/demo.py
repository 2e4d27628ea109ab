"""Demo offers for `stakehouse seed --demo` (and `stakehouse dev`): a welcome deposit match
with the code WELCOME and a weekly cashback on each demo brand, in its default currency and
within its jurisdiction's rules (a UK brand gets 10x wagering, casino only). Each demo offer
is made once (by kind and name), so running the seed again adds nothing, and a demo offer
added later (see `extra_demo_drafts`) reaches a database seeded before it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from domain.bonuses.models import BonusOffer, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.rules import bonus_rules
from domain.bonuses.terms import Contributions, Eligibility, Terms
from domain.brands.service import Brand
from domain.kernel.db import UnitOfWork
from domain.kernel.money import to_minor

# About EUR 100 / EUR 5 in each demo currency.
_CAP = {"JPY": Decimal(15_000), "SEK": Decimal(1_000)}
_MAX_BET = {"JPY": Decimal(800), "SEK": Decimal(50)}
_WAGERING = 35


def demo_drafts(brand: Brand) -> list[OfferDraft]:
    currency = brand.default_currency or brand.currencies[0]
    cap = to_minor(_CAP.get(currency, Decimal(100)), currency)
    max_bet = to_minor(_MAX_BET.get(currency, Decimal(5)), currency)
    ceiling = bonus_rules(brand.jurisdiction).max_wagering_multiplier
    multiplier = _WAGERING if ceiling is None else min(_WAGERING, ceiling)
    casino_only = Contributions(
        product={"casino": 100, "sportsbook": 0}, category={"table": 10, "live": 0}
    )
    welcome = Terms(
        match_percent=100, bonus_cap_minor=cap, wagering_multiplier=multiplier,
        max_bet_minor=max_bet, wagering_days=30, max_conversion_multiplier=5,
        contributions=casino_only,
    )  # fmt: skip
    cashback = Terms(cashback_percent=10, cashback_max_minor=cap, contributions=casino_only)
    return [
        OfferDraft(OfferKind.DEPOSIT_MATCH, "Welcome bonus", "WELCOME", currency, welcome,
                   Eligibility(claim_window_hours=72)),
        OfferDraft(OfferKind.CASHBACK, "Weekly cashback", None, currency, cashback,
                   Eligibility(opt_in=False, once_per_player=False)),
        *extra_demo_drafts(brand),
    ]  # fmt: skip


def extra_demo_drafts(brand: Brand) -> list[OfferDraft]:
    """The hook for the demo offers of kinds this branch does not have yet: free spins on a
    demo studio slot, a free bet and loyalty tiers (issue #14, item 11) join here, each
    within `bonus_rules(brand.jurisdiction)`, and `seed_demo_offers` makes them on the next
    seed of an existing database too."""
    del brand
    return []


async def seed_demo_offers(uow: UnitOfWork, brand: Brand) -> int:
    """The demo offers `brand` does not have yet (by kind and name); how many were made."""
    rows = await uow.session.execute(
        select(BonusOffer.kind, BonusOffer.name).where(BonusOffer.brand == brand.slug)
    )
    existing = {(kind, name) for kind, name in rows}
    made = 0
    for draft in demo_drafts(brand):
        if (draft.kind.value, draft.name) not in existing:
            await create_demo_offer(uow, brand, draft)
            made += 1
    return made
