"""Traders and the feed on one market, through one path: a trader's result is the newest
word on the market when given, a feed message sent later is newer still, and the bets
always end as the last word says (domain.sportsbook.resulting, feed.results)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook import resulting, trading
from domain.sportsbook.feed.port import (
    BetCancel,
    MarketRef,
    RollbackBetCancel,
    RollbackBetSettlement,
)
from domain.sportsbook.models import Market, Outcome, ResultKind
from domain.wallets.models import LedgerTransaction, WalletKind
from tests.domain.sportsbook.feed.test_processing import (
    T0,
    apply,
    bet,
    bet_on_home,
    drain_corrections,
    odds_change,
    settlement_message,
    the_market,
)
from tests.domain.sportsbook.support import assert_ledger_ok, wallets
from tests.domain.sportsbook.test_trading import staff


async def _a_bet_the_feed_settled_won(
    db: Database, registry: BrandRegistry
) -> tuple[int, uuid.UUID]:
    """A bet on home, paid by the feed's settlement of the market (sequence 2): the bet
    and its player."""
    await apply(db, odds_change("m1", 1))
    bet_id = await bet_on_home(db, registry)
    player = (await bet(db, bet_id)).player_id
    await apply(db, settlement_message("m2", 2, "home"))
    await drain_corrections(db)
    return bet_id, player


async def _trader_result(db: Database, winner: str) -> None:
    async with db.uow() as uow:
        market = (await uow.session.scalars(select(Market))).one()
        outcomes = (await uow.session.execute(select(Outcome.id, Outcome.key))).all()
        results = [
            resulting.TraderResult(i, ResultKind.WIN if key == winner else ResultKind.LOSE)
            for i, key in outcomes
        ]
        await resulting.result_market(uow, staff("trader"), market.id, results, reason="Official")
        await uow.commit()
    await drain_corrections(db)


async def test_a_trader_corrects_the_feeds_settlement_and_a_later_feed_rollback_still_applies(
    db: Database, registry: BrandRegistry
) -> None:
    await apply(db, odds_change("m1", 1))
    bet_id = await bet_on_home(db, registry)
    player = (await bet(db, bet_id)).player_id
    await apply(db, settlement_message("s1", 2, "home"))
    await drain_corrections(db)
    paid_by_feed = (await wallets(db, player)).get(WalletKind.CASH, 0)

    await _trader_result(db, "away")
    after_trader = (
        (await bet(db, bet_id)).status,
        (await wallets(db, player)).get(WalletKind.CASH, 0),
    )
    # A stale feed settlement (sent before the trader acted) changes nothing...
    await apply(db, settlement_message("s0", 2, "home"))
    await drain_corrections(db)
    after_stale = (await bet(db, bet_id)).status
    # ...a later one (the feed's next sequence) is the newest word.
    await apply(
        db,
        RollbackBetSettlement(
            producer="live", message_id="r9", event_ref="ev:1", sequence=9, sent_at=T0,
            markets=(MarketRef("match_result"),),
        ),
    )  # fmt: skip
    await drain_corrections(db)

    assert paid_by_feed == 20_00  # 10.00 at 2.00
    assert after_trader == ("lost", 0)
    assert after_stale == "lost"
    assert (await bet(db, bet_id)).status == "open"
    assert (await wallets(db, player)).get(WalletKind.CASH, 0) == 0
    await assert_ledger_ok(db)


async def _trader_void(db: Database) -> None:
    async with db.uow() as uow:
        market = (await uow.session.scalars(select(Market))).one()
        await resulting.cancel_bets(
            uow, staff("trader"), market.id, placed_from=None, placed_to=None,
            reason="Match abandoned",
        )  # fmt: skip
        await uow.commit()
    await drain_corrections(db)


async def _refunds(db: Database, bet_id: int) -> list[tuple[str, str | None]]:
    async with db.uow() as uow:
        rows = await uow.session.execute(
            select(LedgerTransaction.kind, LedgerTransaction.idempotency_key)
            .where(LedgerTransaction.metadata_["bet_id"].as_integer() == bet_id)
            .order_by(LedgerTransaction.id)
        )
        return [(kind, key) for kind, key in rows]


@pytest.mark.parametrize("state", ["open", "suspended", "settled", "resettled"])
async def test_a_voided_markets_bets_are_void_with_the_stake_back_once_whatever_its_state(
    db: Database, registry: BrandRegistry, state: str
) -> None:
    await apply(db, odds_change("m1", 1))
    bet_id = await bet_on_home(db, registry)
    player = (await bet(db, bet_id)).player_id
    if state == "suspended":
        await apply(db, odds_change("m2", 2, status="suspended"))
    if state in ("settled", "resettled"):
        await apply(db, settlement_message("m2", 2, "home"))
        await drain_corrections(db)
    if state == "resettled":
        await _trader_result(db, "away")

    await _trader_void(db)
    await drain_corrections(db)  # a second delivery of the correction changes nothing
    voided = await bet(db, bet_id)

    assert (await the_market(db)).status == "cancelled"
    assert (voided.status, voided.payout_minor) == ("void", 10_00)
    # The stake, and nothing more, is back: whatever was paid before is reversed.
    assert await wallets(db, player) == {WalletKind.CASH: 10_00}
    refunds = [key for kind, key in await _refunds(db, bet_id) if kind == "sportsbook.refund"]
    assert len(refunds) == 1 and refunds[0] is not None
    # The void released the bet's liability, in the whole book and in its brand's view.
    async with db.uow() as uow:
        market_id = (await the_market(db)).id
        views = [
            sum(
                row.liability_minor
                for row in await trading.liabilities_in_scope(uow, market_id, scope)
            )
            for scope in (None, voided.brand)
        ]
    assert views == [0, 0]
    await assert_ledger_ok(db)


async def test_a_feed_void_of_a_settled_market_voids_its_bets_and_its_rollback_reopens_them(
    db: Database, registry: BrandRegistry
) -> None:
    bet_id, player = await _a_bet_the_feed_settled_won(db, registry)

    await apply(
        db,
        BetCancel(
            producer="live", message_id="m3", event_ref="ev:1", sequence=3, sent_at=T0,
            markets=(MarketRef("match_result"),),
        ),
    )  # fmt: skip
    await drain_corrections(db)
    voided = await bet(db, bet_id)
    cash_voided = await wallets(db, player)
    await apply(
        db,
        RollbackBetCancel(
            producer="live", message_id="m4", event_ref="ev:1", sequence=4, sent_at=T0,
            markets=(MarketRef("match_result"),),
        ),
    )  # fmt: skip
    await drain_corrections(db)

    assert (voided.status, voided.payout_minor) == ("void", 10_00)
    assert cash_voided == {WalletKind.CASH: 10_00}
    # The void rolled back: the results still stand, so the bet is paid on them again.
    assert (await bet(db, bet_id)).status == "won"
    assert await wallets(db, player) == {WalletKind.CASH: 20_00}
    await assert_ledger_ok(db)


async def test_new_results_for_a_voided_market_leave_its_void_bets_and_refunds_alone(
    db: Database, registry: BrandRegistry
) -> None:
    bet_id, player = await _a_bet_the_feed_settled_won(db, registry)
    await _trader_void(db)

    # Results corrected under the void: the settlement is rolled back and settled
    # again, and neither run may take the void bets' refunds back.
    await apply(db, settlement_message("m9", 99, "away"))
    await drain_corrections(db)

    assert (await the_market(db)).status == "cancelled"
    assert (await bet(db, bet_id)).status == "void"
    assert await wallets(db, player) == {WalletKind.CASH: 10_00}
    await assert_ledger_ok(db)
