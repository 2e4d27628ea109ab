"""Demo offers for `stakehouse seed --demo` (and `stakehouse dev`): a welcome deposit match
with the code WELCOME, a weekly cashback, free spins on the Originals slot (winnings as
bonus money under 10x wagering), a free bet and a loyalty programme with three tiers on
each demo brand, in its default currency and within its jurisdiction's rules (a UK brand
gets 10x wagering, casino only). Each demo offer is made once (by kind and name) and the
programme only where the brand has none, so running the seed again adds nothing, and a demo
offer added later (see `extra_demo_drafts`) reaches a database seeded before it."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sqlalchemy import select

from domain.bonuses.loyalty import Programme, Tier, set_demo_programme
from domain.bonuses.models import BonusOffer, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.rules import bonus_rules
from domain.bonuses.terms import Contributions, Eligibility, Terms, WinningsWallet
from domain.brands.service import Brand
from domain.kernel.db import UnitOfWork
from domain.kernel.money import to_minor

# About EUR 100 / EUR 5 in each demo currency.
_CAP = {"JPY": Decimal(15_000), "SEK": Decimal(1_000)}
_MAX_BET = {"JPY": Decimal(800), "SEK": Decimal(50)}
_WAGERING = 35
# Free spins, the free bet and a loyalty point's worth, in each demo currency.
_SPIN = {"JPY": Decimal(30), "SEK": Decimal(2)}
_FREE_BET = {"JPY": Decimal(800), "SEK": Decimal(50)}
_REDEEM = {"JPY": Decimal(150), "SEK": Decimal(10)}
_SPIN_WAGERING = 10
DEMO_SPINS_PROVIDER: Final = "stakehouse-originals"
DEMO_SPINS_GAME: Final = "originals-slot"


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
    """Free spins on the Originals slot and a free bet, both claimed by the player (once)
    or granted by CRM staff, within `bonus_rules(brand.jurisdiction)`."""
    currency = brand.default_currency or brand.currencies[0]
    ceiling = bonus_rules(brand.jurisdiction).max_wagering_multiplier
    stake_minor = to_minor(_SPIN.get(currency, Decimal("0.20")), currency)
    spins = Terms(
        free_spins=10, free_spin_stake_minor=stake_minor,
        free_spins_provider=DEMO_SPINS_PROVIDER, free_spin_games=(DEMO_SPINS_GAME,),
        winnings_wallet=WinningsWallet.BONUS,
        wagering_multiplier=_SPIN_WAGERING if ceiling is None else min(_SPIN_WAGERING, ceiling),
        wagering_days=7, contributions=Contributions(product={"casino": 100, "sportsbook": 0}),
    )  # fmt: skip
    free_bet = Terms(
        free_bet_minor=to_minor(_FREE_BET.get(currency, Decimal(5)), currency),
        free_bet_min_odds="1.50", wagering_days=7,
        contributions=Contributions(product={"sportsbook": 100, "casino": 0}),
    )  # fmt: skip
    return [
        OfferDraft(OfferKind.FREE_SPINS, "10 free spins", None, currency, spins, Eligibility()),
        OfferDraft(OfferKind.FREE_BET, "Free bet", None, currency, free_bet, Eligibility()),
    ]


def demo_programme(brand: Brand) -> Programme:
    """Points per 1.00 staked (2 on sports), Bronze / Silver / Gold over 90 days, 100
    points buy about EUR 1.00 in the brand's currency."""
    currency = brand.default_currency or brand.currencies[0]
    return Programme(
        rates={"casino": 1, "sportsbook": 2},
        window_days=90,
        tiers=(
            Tier("Bronze", 0),
            Tier("Silver", 500, multiplier_percent=125, cashback_percent=5),
            Tier("Gold", 2_000, multiplier_percent=150, cashback_percent=10),
        ),
        redeem_points=100,
        redeem_minor=to_minor(_REDEEM.get(currency, Decimal(1)), currency),
    )


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
    await set_demo_programme(uow, brand.slug, demo_programme(brand))
    return made
