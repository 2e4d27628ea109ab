"""Free bets by rule, the worked example: a €10 free bet at odds 2.00 or more on match
results. Refused below the minimum odds, on another market type and at another stake (typed
errors, nothing changed); staked at 3.00 it wins €20 (the €30 return less the €10 stake)
to cash; a void bet gives the free bet back; an unused one expires to the house."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from domain.bonuses import free_bets
from domain.bonuses.errors import (
    AlreadyClaimed,
    FreeBetNotEligible,
    FreeBetOddsTooLow,
    FreeBetStakeMismatch,
)
from domain.bonuses.lifecycle import Actor
from domain.bonuses.models import BonusOffer, FreeBet, OfferKind
from domain.bonuses.offers import OfferDraft, create_demo_offer
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.sportsbook import corrections, settlement
from domain.sportsbook.models import BetType, ResultKind
from domain.sportsbook.placement import BetSlip, Selection
from domain.sportsbook.returns import LegResult
from domain.wallets.losses import net_losses
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import (
    BRAND,
    BookMarket,
    add_market,
    assert_ledger_ok,
    funded_player,
    place,
    wallets,
)

WIN = LegResult(ResultKind.WIN)
LOSE = LegResult(ResultKind.LOSE)
VOID = LegResult(ResultKind.VOID)


def _slip(outcome_id: int, odds: str, stake_minor: int = 10_00) -> BetSlip:
    return BetSlip(
        selections=(Selection(outcome_id, Decimal(odds)),),
        stake_minor=stake_minor,
        bet_type=BetType.SINGLE,
        idempotency_key=uuid.uuid4().hex,
        free_bet=True,
    )


async def _offer(
    db: Database, registry: BrandRegistry, eligibility: Eligibility | None = None
) -> BonusOffer:
    terms = Terms(
        free_bet_minor=10_00,
        free_bet_min_odds="2.00",
        free_bet_market_types=("match_result",),
        wagering_days=7,
    )
    draft = OfferDraft(
        OfferKind.FREE_BET,
        f"Free bet {uuid.uuid4().hex[:6]}",
        None,
        "EUR",
        terms,
        eligibility or Eligibility(),
    )
    async with db.transaction() as uow:
        return await create_demo_offer(uow, registry.get(BRAND), draft)


async def _granted(db: Database, offer: BonusOffer, player_id: uuid.UUID) -> FreeBet:
    async with db.transaction() as uow:
        return await free_bets.grant_free_bet(uow, BRAND, offer, player_id, actor=Actor.system())


async def _state(db: Database, free_bet_id: uuid.UUID) -> tuple[str, int | None]:
    async with db.uow() as uow:
        row = (
            await uow.session.execute(
                text("SELECT state, bet_id FROM bonus_free_bets WHERE id = :i"), {"i": free_bet_id}
            )
        ).one()
    return str(row[0]), row[1]


async def _settle(db: Database, market: BookMarket, results: dict[str, LegResult]) -> None:
    await settlement.settle_market(
        db,
        market_id=market.market_id,
        results={market.outcomes[key]: result for key, result in results.items()},
        run_id=uuid.uuid4(),
    )


async def test_the_free_bet_worked_example(db: Database, registry: BrandRegistry) -> None:
    player = await funded_player(db, registry, 5_00)
    granted = await _granted(db, await _offer(db, registry), player)
    assert await wallets(db, player) == {
        WalletKind.CASH: 5_00,
        WalletKind.SPORTSBOOK_FREE_BET: 10_00,
    }
    result = await add_market(db, {"home": "3.00", "draw": "1.50", "away": "2.50"})
    goals = await add_market(db, {"over": "2.10", "under": "1.80"}, market_type="total_goals")

    with pytest.raises(FreeBetOddsTooLow):
        await place(db, registry, player, _slip(result.outcomes["draw"], "1.50"))
    with pytest.raises(FreeBetNotEligible):
        await place(db, registry, player, _slip(goals.outcomes["over"], "2.10"))
    with pytest.raises(FreeBetStakeMismatch):
        await place(db, registry, player, _slip(result.outcomes["home"], "3.00", 5_00))
    assert await _state(db, granted.id) == ("active", None)

    placed = await place(db, registry, player, _slip(result.outcomes["home"], "3.00"))

    assert placed.potential_return_minor == 20_00
    assert await _state(db, granted.id) == ("used", placed.bet_id)
    assert await wallets(db, player) == {WalletKind.CASH: 5_00}
    await _settle(db, result, {"home": WIN, "draw": LOSE, "away": LOSE})
    assert await wallets(db, player) == {WalletKind.CASH: 25_00}
    assert (await _state(db, granted.id))[0] == "settled"
    await assert_ledger_ok(db)


async def test_a_void_bet_gives_the_free_bet_back_and_an_unused_one_expires(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await funded_player(db, registry, 5_00)
    granted = await _granted(db, await _offer(db, registry), player)
    market = await add_market(db, {"home": "3.00", "away": "2.50"})
    placed = await place(db, registry, player, _slip(market.outcomes["home"], "3.00"))

    await _settle(db, market, {"home": VOID, "away": VOID})

    assert await _state(db, granted.id) == ("active", placed.bet_id)
    assert await wallets(db, player) == {
        WalletKind.CASH: 5_00,
        WalletKind.SPORTSBOOK_FREE_BET: 10_00,
    }
    assert placed.bet_id

    later = clock.now() + timedelta(days=7, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert await free_bets.expire_due(db) == 1
    assert await free_bets.expire_due(db) == 0
    assert (await _state(db, granted.id))[0] == "expired"
    assert await wallets(db, player) == {WalletKind.CASH: 5_00}
    await assert_ledger_ok(db)


async def test_a_player_claims_a_free_bet_offer_once_and_staff_may_grant_it_again(
    db: Database, registry: BrandRegistry
) -> None:
    """An offer open to repeated grants (not once per player) is still claimed once by the
    player: claiming again must not move the free bet's stake into the wallet again."""
    player = await funded_player(db, registry, 1_00)
    offer = await _offer(db, registry, Eligibility(once_per_player=False))
    assert not Eligibility.from_json(offer.eligibility).once_per_player

    async with db.transaction() as uow:
        await free_bets.grant_free_bet(uow, BRAND, offer, player, actor=Actor("player", player))
    with pytest.raises(AlreadyClaimed):
        async with db.transaction() as uow:
            await free_bets.grant_free_bet(uow, BRAND, offer, player, actor=Actor("player", player))
    assert await wallets(db, player) == {
        WalletKind.CASH: 1_00,
        WalletKind.SPORTSBOOK_FREE_BET: 10_00,
    }

    async with db.transaction() as uow:
        await free_bets.grant_free_bet(
            uow, BRAND, offer, player, actor=Actor("staff", uuid.uuid4()), reason="goodwill"
        )
    assert await wallets(db, player) == {
        WalletKind.CASH: 1_00,
        WalletKind.SPORTSBOOK_FREE_BET: 20_00,
    }
    await assert_ledger_ok(db)


async def _rollback(db: Database, market: BookMarket, run_id: uuid.UUID) -> None:
    await corrections.rollback_settlement(db, market_id=market.market_id, run_id=run_id)


async def test_a_rolled_back_settlement_puts_the_free_bet_back_as_it_was(
    db: Database, registry: BrandRegistry
) -> None:
    """A won free bet's settlement rolled back: the winnings go back and the free bet is
    staked by the reopened bet again (not settled), however often the rollback runs; the
    new result settles it once more. A void one rolled back is staked again too: its
    refunded stake left the free-bet wallet."""
    player = await funded_player(db, registry, 5_00)
    won = await _granted(db, await _offer(db, registry), player)
    market = await add_market(db, {"home": "3.00", "away": "2.50"})
    placed = await place(db, registry, player, _slip(market.outcomes["home"], "3.00"))
    await _settle(db, market, {"home": WIN, "away": LOSE})
    assert await _state(db, won.id) == ("settled", placed.bet_id)
    assert await wallets(db, player) == {WalletKind.CASH: 25_00}

    run_id = uuid.uuid4()
    await _rollback(db, market, run_id)
    await _rollback(db, market, run_id)

    assert await _state(db, won.id) == ("used", placed.bet_id)
    assert await wallets(db, player) == {WalletKind.CASH: 5_00}
    await _settle(db, market, {"home": LOSE, "away": WIN})
    assert await _state(db, won.id) == ("settled", placed.bet_id)
    assert await wallets(db, player) == {WalletKind.CASH: 5_00}

    other = await add_market(db, {"home": "3.00", "away": "2.50"})
    voided = await _granted(db, await _offer(db, registry), player)
    again = await place(db, registry, player, _slip(other.outcomes["home"], "3.00"))
    await _settle(db, other, {"home": VOID, "away": VOID})
    assert await _state(db, voided.id) == ("active", again.bet_id)
    assert await wallets(db, player) == {
        WalletKind.CASH: 5_00,
        WalletKind.SPORTSBOOK_FREE_BET: 10_00,
    }

    await _rollback(db, other, uuid.uuid4())

    assert await _state(db, voided.id) == ("used", again.bet_id)
    assert await wallets(db, player) == {WalletKind.CASH: 5_00}
    # Used by the reopened bet: a new free-bet slip finds nothing to stake.
    legs = [free_bets.LegFacts("football", "match_result")]
    async with db.uow() as uow:
        chosen = await free_bets.choose_for_bet(
            uow, BRAND, player, "EUR", total_stake_minor=10_00, combined_odds=Decimal("3.00"),
            legs=legs,
        )  # fmt: skip
    assert chosen is None
    await assert_ledger_ok(db)


async def test_a_cancelled_free_bet_bet_gives_the_free_bet_back(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 1_00)
    granted = await _granted(db, await _offer(db, registry), player)
    market = await add_market(db, {"home": "3.00", "away": "2.50"})
    before = clock.now()
    placed = await place(db, registry, player, _slip(market.outcomes["home"], "3.00"))

    await corrections.cancel_bets(
        db, market_id=market.market_id, placed_from=before - timedelta(minutes=1),
        placed_to=clock.now() + timedelta(minutes=1), run_id=uuid.uuid4(),
    )  # fmt: skip

    assert await _state(db, granted.id) == ("active", placed.bet_id)
    assert await wallets(db, player) == {
        WalletKind.CASH: 1_00,
        WalletKind.SPORTSBOOK_FREE_BET: 10_00,
    }
    await assert_ledger_ok(db)


async def test_a_lost_free_bet_is_no_loss_of_the_players_for_cashback(
    db: Database, registry: BrandRegistry
) -> None:
    player = await funded_player(db, registry, 10_00)
    await _granted(db, await _offer(db, registry), player)
    market = await add_market(db, {"home": "3.00", "away": "2.50"})
    start = clock.now() - timedelta(minutes=1)
    await place(db, registry, player, _slip(market.outcomes["home"], "3.00"))
    cash_slip = replace(_slip(market.outcomes["home"], "3.00"), free_bet=False)
    await place(db, registry, player, cash_slip)
    await _settle(db, market, {"home": LOSE, "away": WIN})

    async with db.uow() as uow:
        losses = await net_losses(uow, BRAND, "EUR", start, clock.now() + timedelta(minutes=1))

    # 10.00 of cash lost; the free bet's 10.00 stake was the house's.
    assert losses == {player: 10_00}
