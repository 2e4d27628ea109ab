"""Traders and the feed on one market, through one path: a trader's result is the newest
word on the market when given, a feed message sent later is newer still, and the bets
always end as the last word says (domain.sportsbook.resulting, feed.results)."""

from __future__ import annotations

from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook import resulting
from domain.sportsbook.feed.port import MarketRef, RollbackBetSettlement
from domain.sportsbook.models import Market, Outcome, ResultKind
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.feed.test_processing import (
    T0,
    apply,
    bet,
    bet_on_home,
    drain_corrections,
    odds_change,
    settlement_message,
)
from tests.domain.sportsbook.support import assert_ledger_ok, wallets
from tests.domain.sportsbook.test_trading import staff


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
