"""A trader's override holds against the feed: after a trader overrides a price and
suspends a market, later feed messages change the feed's values, not the trader's, and
the trading view shows both until the trader releases them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from domain.kernel.db import Database
from domain.sportsbook.feed.port import Fixture, MarketOdds, OddsChange, OutcomeOdds
from domain.sportsbook.feed.processing import Applied, process_message
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.sportsbook.support import gid
from tests.schema.sportsbook.test_booking import _trader
from tests.schema.sportsbook.test_trading import (
    OVERRIDE_ODDS,
    RELEASE_ODDS,
    RESUME_MARKET,
    SUSPEND_MARKET,
)
from tests.support import AURORA, Api

TRADING_MARKET = """query($m: ID!) { tradingMarket(market: $m) {
  status feedStatus suspendedBy feedProducer
  outcomes { outcome { key } odds feedOdds oddsOverridden } } }"""


async def _feed(db: Database, ref: str, sequence: int, home: str, status: str = "active") -> None:
    """The feed's odds_change for the event, applied as the feed actor applies it."""
    fixture = Fixture(
        sport_key="football", sport_name="Football", competition_key="epl",
        competition_name="Premier League", name="Reds v Blues",
        starts_at=datetime.now(UTC) + timedelta(days=1), home="Reds", away="Blues",
    )  # fmt: skip
    market = MarketOdds(
        type="match_result", name="1X2", status=status,
        outcomes=(OutcomeOdds("home", "Reds", Decimal(home)),
                  OutcomeOdds("away", "Blues", Decimal("3.00"))),
    )  # fmt: skip
    message = OddsChange(
        producer="live", message_id=uuid.uuid4().hex, event_ref=ref, sequence=sequence,
        sent_at=datetime.now(UTC), markets=(market,), fixture=fixture,
    )  # fmt: skip
    async with db.uow() as uow:
        assert await process_message(uow, message) is Applied.APPLIED
        await uow.commit()


async def _view(trader: Api, market: str) -> dict[str, Any]:
    view = (await trader.query(TRADING_MARKET, {"m": market})).data["tradingMarket"]
    assert isinstance(view, dict)
    return view


async def test_an_override_holds_against_later_feed_messages_until_released(
    server: str, db: Database
) -> None:
    ref = f"feed:{uuid.uuid4().hex}"
    await _feed(db, ref, 1, home="2.00")
    async with db.uow() as uow:
        ids = (
            await uow.session.execute(
                text(
                    "SELECT m.id, o.id, o.key FROM sportsbook_events e "
                    "JOIN sportsbook_markets m ON m.event_id = e.id "
                    "JOIN sportsbook_outcomes o ON o.market_id = m.id WHERE e.feed_ref = :r"
                ),
                {"r": ref},
            )
        ).all()
    market = gid("Market", ids[0][0])
    home = gid("Outcome", next(i for _, i, key in ids if key == "home"))
    trader = await _trader(server, db)
    why = {"reason": "Team news"}

    await trader.query(OVERRIDE_ODDS, {"i": {"outcome": home, "odds": "1.50", **why}})
    await trader.query(SUSPEND_MARKET, {"i": {"market": market, **why}})
    await _feed(db, ref, 2, home="2.20", status="active")
    held = await _view(trader, market)
    await trader.query(RELEASE_ODDS, {"i": {"outcome": home, **why}})
    await trader.query(RESUME_MARKET, {"i": {"market": market, **why}})
    released = await _view(trader, market)
    await _feed(db, ref, 3, home="2.40", status="active")
    following = await _view(trader, market)

    assert held == {
        "status": "SUSPENDED", "feedStatus": "ACTIVE", "suspendedBy": "trader",
        "feedProducer": "live",
        "outcomes": [
            {"outcome": {"key": "home"}, "odds": "1.5000", "feedOdds": "2.2000",
             "oddsOverridden": True},
            {"outcome": {"key": "away"}, "odds": "3.0000", "feedOdds": "3.0000",
             "oddsOverridden": False},
        ],
    }  # fmt: skip
    assert (released["status"], released["suspendedBy"]) == ("ACTIVE", None)
    assert released["outcomes"][0] == {
        "outcome": {"key": "home"}, "odds": "2.2000", "feedOdds": "2.2000",
        "oddsOverridden": False,
    }  # fmt: skip
    assert following["outcomes"][0]["odds"] == "2.4000"


async def test_staff_of_some_brands_do_not_get_the_trading_view(server: str, db: Database) -> None:
    ref = f"feed:{uuid.uuid4().hex}"
    await _feed(db, ref, 1, home="2.00")
    async with db.uow() as uow:
        market_id = await uow.session.scalar(
            text(
                "SELECT m.id FROM sportsbook_markets m JOIN sportsbook_events e "
                "ON e.id = m.event_id WHERE e.feed_ref = :r"
            ),
            {"r": ref},
        )
    brand_trader = await signed_in_staff(
        Api(server, AURORA), db, f"bt-{uuid.uuid4().hex[:8]}@op.example", ["trader"], ["aurora"]
    )

    refused = await brand_trader.query(TRADING_MARKET, {"m": gid("Market", market_id)})

    assert refused.body["data"] == {"tradingMarket": None}
    assert refused.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
