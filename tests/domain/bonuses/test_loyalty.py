"""Loyalty: points per stake by product at the brand's rate (once per stake, however often
the job runs; a free bet earns nothing), tiers over the rolling window with their
multiplier, points redeemed for cash at the brand's rate through the ledger, once per key."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.bonuses import loyalty, tiers
from domain.bonuses.cashback import Period, pay_cashback
from domain.bonuses.errors import InvalidTerms, NotEnoughPoints
from domain.bonuses.loyalty import Programme, Tier
from domain.bonuses.models import CashbackPayout, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.sportsbook import corrections
from domain.sportsbook.models import BetType
from domain.sportsbook.placement import BetSlip, Selection
from domain.wallets.errors import IdempotencyConflict
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import (
    BRAND,
    add_market,
    assert_ledger_ok,
    fund,
    funded_player,
    place,
    wallets,
)
from tests.schema.wallets.support import staff_principal

PROGRAMME = Programme(
    rates={"casino": 1, "sportsbook": 2},
    window_days=30,
    tiers=(Tier("Bronze", 0), Tier("Silver", 15, multiplier_percent=200, cashback_percent=5)),
    redeem_points=10,
    redeem_minor=10,
    # Redeemable at once here; the hold has its own test.
    redeem_hold_days=0,
)


def _slip(outcome_id: int, stake_minor: int = 10_00, *, free_bet: bool = False) -> BetSlip:
    return BetSlip(
        selections=(Selection(outcome_id, Decimal("2.00")),),
        stake_minor=stake_minor,
        bet_type=BetType.SINGLE,
        idempotency_key=uuid.uuid4().hex,
        free_bet=free_bet,
    )


async def _view(db: Database, player: uuid.UUID) -> tuple[int, str, int, str | None]:
    async with db.uow() as uow:
        seen = await loyalty.view(uow, BRAND, player)
    return (
        seen.points,
        seen.tier.name,
        seen.window_points,
        seen.next_tier.name if seen.next_tier else None,
    )


async def test_points_tiers_and_redemption(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as uow:
        with pytest.raises(InvalidTerms):
            await loyalty.set_programme(
                uow, staff_principal("crm"), BRAND, Programme(tiers=(Tier("Gold", 5),))
            )
    async with db.transaction() as uow:
        await loyalty.set_programme(uow, staff_principal("crm"), BRAND, PROGRAMME)
    player = await funded_player(db, registry, 100_00)
    await fund(db, player, 5_00, WalletKind.SPORTSBOOK_FREE_BET)
    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    await place(db, registry, player, _slip(market.outcomes["home"]))
    await place(db, registry, player, _slip(market.outcomes["away"], 5_00, free_bet=True))

    await loyalty.accrue(db)
    assert await loyalty.accrue(db) == 0
    assert await _view(db, player) == (20, "Bronze", 20, None)

    assert await tiers.recalculate_tiers(db) >= 1
    assert await _view(db, player) == (20, "Silver", 20, None)
    await place(db, registry, player, _slip(market.outcomes["home"]))
    await loyalty.accrue(db)
    assert await _view(db, player) == (60, "Silver", 60, None)  # 2 x 20 at Silver

    # Silver's 5 % cashback beats a 2 % cashback offer: 5 % of the 20.00 the player staked
    # this week (the free bet's 5.00 stake was the house's money, no loss of theirs).
    draft = OfferDraft(
        OfferKind.CASHBACK, "Weekly 2 %", None, "EUR", Terms(cashback_percent=2), Eligibility()
    )
    async with db.transaction() as uow:
        offer = await create_demo_offer(uow, registry.get(BRAND), draft)
        await pay_cashback(uow, offer, Period.of(clock.today()))
        offer.active = False  # other tests' players are not this test's
        paid = await uow.session.scalar(
            select(CashbackPayout.amount_minor).where(
                CashbackPayout.offer_id == offer.id, CashbackPayout.player_id == player
            )
        )
    assert paid == 1_00

    async with db.transaction() as uow:
        paid = await loyalty.redeem(uow, BRAND, player, "EUR", points=50, idempotency_key="r-1")
    async with db.transaction() as uow:
        again = await loyalty.redeem(uow, BRAND, player, "EUR", points=50, idempotency_key="r-1")
    assert (paid, again) == (50, 50)
    for points, refusal in ((20, NotEnoughPoints), (5, InvalidTerms)):
        async with db.uow() as uow:
            with pytest.raises(refusal):
                await loyalty.redeem(
                    uow, BRAND, player, "EUR", points=points, idempotency_key="r-2"
                )
    assert (await wallets(db, player))[WalletKind.CASH] == 80_00 + 1_00 + 50
    assert (await _view(db, player))[0] == 10

    # Out of the window: back to the first tier.
    later = clock.now() + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    await tiers.recalculate_tiers(db)
    assert await _view(db, player) == (10, "Bronze", 0, "Silver")
    await assert_ledger_ok(db)


async def test_points_are_held_until_a_refund_can_take_them_back_and_a_replay_pays_what_was_recorded(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = Programme(rates={"sportsbook": 2}, redeem_points=10, redeem_minor=10)
    assert held.redeem_hold_days == loyalty.REDEEM_HOLD_DAYS == 7
    async with db.transaction() as uow:
        await loyalty.set_programme(uow, staff_principal("crm"), BRAND, held)
    player = await funded_player(db, registry, 100_00)
    market = await add_market(db, {"home": "2.00", "away": "2.00"})
    start = clock.now() - timedelta(minutes=1)
    await place(db, registry, player, _slip(market.outcomes["home"]))
    await loyalty.accrue(db)
    assert (await _view(db, player))[0] == 20
    async with db.uow() as uow:
        assert (await loyalty.view(uow, BRAND, player)).redeemable_points == 0

    # Earned just now: held, so no cash can leave for points a refund may take back.
    async with db.uow() as uow:
        with pytest.raises(NotEnoughPoints):
            await loyalty.redeem(uow, BRAND, player, "EUR", points=20, idempotency_key="h-0")
    await corrections.cancel_bets(
        db, market_id=market.market_id, placed_from=start,
        placed_to=clock.now() + timedelta(minutes=1), run_id=uuid.uuid4(),
    )  # fmt: skip
    await loyalty.accrue(db)
    assert (await _view(db, player))[0] == 0
    assert (await wallets(db, player))[WalletKind.CASH] == 100_00

    other = await add_market(db, {"home": "2.00", "away": "2.00"})
    await place(db, registry, player, _slip(other.outcomes["home"]))
    await loyalty.accrue(db)
    later = clock.now() + timedelta(days=7, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    async with db.uow() as uow:
        assert (await loyalty.view(uow, BRAND, player)).redeemable_points == 20
    async with db.transaction() as uow:
        paid = await loyalty.redeem(uow, BRAND, player, "EUR", points=20, idempotency_key="h-1")
    assert paid == 20

    # The rate changes; the replay answers with what the first call paid and moves nothing.
    async with db.transaction() as uow:
        await loyalty.set_programme(
            uow, staff_principal("crm"), BRAND, replace(held, redeem_minor=50)
        )
    async with db.transaction() as uow:
        again = await loyalty.redeem(uow, BRAND, player, "EUR", points=20, idempotency_key="h-1")
    assert again == 20
    async with db.uow() as uow:
        with pytest.raises(IdempotencyConflict):
            await loyalty.redeem(uow, BRAND, player, "EUR", points=10, idempotency_key="h-1")
    assert (await wallets(db, player))[WalletKind.CASH] == 90_00 + 20  # one stake refunded
    assert (await _view(db, player))[0] == 0
    await assert_ledger_ok(db)
