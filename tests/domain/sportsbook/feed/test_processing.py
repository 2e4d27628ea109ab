"""The odds feed applied to the book: idempotency, ordering per event, settlement, rollback,
cancellation and producer heartbeats, on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.outbox import OutboxEvent
from domain.sportsbook.feed import heartbeats, results
from domain.sportsbook.feed.port import (
    Alive,
    BetCancel,
    BetSettlement,
    BetStop,
    FeedMessage,
    Fixture,
    MarketOdds,
    MarketRef,
    MarketResult,
    OddsChange,
    OutcomeOdds,
    OutcomeResult,
    RollbackBetSettlement,
    from_wire,
    to_wire,
)
from domain.sportsbook.feed.processing import Applied, process_message
from domain.sportsbook.models import Bet, BetType, Event, Market, Outcome, SuspensionReason
from domain.sportsbook.placement import BetSlip, Selection
from domain.wallets.models import WalletKind
from tests.domain.sportsbook.support import assert_ledger_ok, funded_player, place, wallets

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
FIXTURE = Fixture(
    sport_key="football", sport_name="Football", competition_key="epl",
    competition_name="Premier League", name="Reds v Blues", starts_at=T0 + timedelta(hours=2),
    home="Reds", away="Blues",
)  # fmt: skip


def odds_change(
    message_id: str, sequence: int, home: str = "2.00", *, status: str = "active", **kw: Any
) -> OddsChange:
    market = MarketOdds(
        type="match_result", name="1X2", status=status,
        outcomes=(OutcomeOdds("home", "Reds", Decimal(home)),
                  OutcomeOdds("draw", "Draw", Decimal("3.50")),
                  OutcomeOdds("away", "Blues", Decimal("4.00"))),
    )  # fmt: skip
    return OddsChange(
        producer=kw.pop("producer", "live"), message_id=message_id, event_ref="ev:1",
        sequence=sequence, sent_at=T0, markets=(market,), fixture=FIXTURE, **kw,
    )  # fmt: skip


def settlement_message(message_id: str, sequence: int, winner: str) -> BetSettlement:
    results = tuple(
        OutcomeResult(key, 1 if key == winner else 0) for key in ("home", "draw", "away")
    )
    return BetSettlement(
        producer="live", message_id=message_id, event_ref="ev:1", sequence=sequence,
        sent_at=T0, markets=(MarketResult("match_result", results),),
    )  # fmt: skip


MATCH_RESULT = (MarketRef("match_result"),)


async def apply(db: Database, message: FeedMessage) -> Applied:
    async with db.uow() as uow:
        applied = await process_message(uow, message)
        await uow.commit()
    return applied


async def outcome_odds(db: Database) -> dict[str, Decimal]:
    async with db.uow() as uow:
        rows = await uow.session.execute(select(Outcome.key, Outcome.odds).order_by(Outcome.id))
        return dict(rows.all())


async def the_market(db: Database) -> Market:
    async with db.uow() as uow:
        return (await uow.session.scalars(select(Market))).one()


async def topics(db: Database) -> list[str]:
    async with db.uow() as uow:
        return list(await uow.session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


async def drain_corrections(db: Database) -> None:
    """Do what `sportsbook.correct_market` would for each correction the feed asked for."""
    async with db.uow() as uow:
        events = list(await uow.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        await uow.session.execute(OutboxEvent.__table__.delete())
        await uow.commit()
    for event in events:
        if event.topic == "sportsbook.market_correction_requested":
            assert await results.converge(db, market_id=event.payload["market_id"])


async def bet_on_home(db: Database, registry: BrandRegistry, stake_minor: int = 10_00) -> int:
    player = await funded_player(db, registry, stake_minor)
    odds = await outcome_odds(db)
    async with db.uow() as uow:
        home = await uow.session.scalar(select(Outcome.id).where(Outcome.key == "home"))
    assert home is not None
    placed = await place(
        db, registry, player,
        BetSlip(selections=(Selection(home, odds["home"]),), stake_minor=stake_minor,
                bet_type=BetType.SINGLE, idempotency_key=uuid.uuid4().hex),
    )  # fmt: skip
    return placed.bet_id


async def bet(db: Database, bet_id: int) -> Bet:
    async with db.uow() as uow:
        return await uow.session.get_one(Bet, bet_id)


def test_messages_survive_the_wire_unchanged() -> None:
    message = odds_change("m1", 1, score={"home": 1, "away": 0}, event_status="live")

    assert from_wire(to_wire(message)) == message


async def test_the_first_odds_change_creates_the_event_market_and_outcomes(db: Database) -> None:
    applied = await apply(db, odds_change("m1", 1))

    assert applied is Applied.APPLIED
    assert await outcome_odds(db) == {
        "home": Decimal("2.0000"), "draw": Decimal("3.5000"), "away": Decimal("4.0000")
    }  # fmt: skip
    market = await the_market(db)
    assert (market.status, market.feed_producer) == ("active", "live")
    assert await topics(db) == ["sportsbook.odds_changed", "sportsbook.event_updated"]


async def test_a_duplicate_message_changes_nothing(db: Database) -> None:
    await apply(db, odds_change("m1", 1))
    await apply(db, odds_change("m2", 2, home="1.80"))

    again = await apply(db, odds_change("m1", 1))

    assert again is Applied.DUPLICATE
    assert (await outcome_odds(db))["home"] == Decimal("1.80")


async def test_an_older_message_arriving_late_is_ignored_and_a_gap_is_fine(db: Database) -> None:
    await apply(db, odds_change("m1", 1))
    await apply(db, odds_change("m5", 5, home="1.70"))  # 2 to 4 never came

    late = await apply(db, odds_change("m3", 3, home="2.50"))

    assert late is Applied.STALE
    assert (await outcome_odds(db))["home"] == Decimal("1.70")
    async with db.uow() as uow:
        assert await uow.session.scalar(select(Event.feed_sequence)) == 5


async def test_bet_stop_suspends_and_the_next_odds_change_resumes(db: Database) -> None:
    await apply(db, odds_change("m1", 1))

    await apply(
        db, BetStop(producer="live", message_id="m2", event_ref="ev:1", sequence=2, sent_at=T0)
    )
    stopped = await the_market(db)
    await apply(db, odds_change("m3", 3, home="1.90"))

    assert (stopped.status, stopped.suspended_by) == ("suspended", "feed")
    assert (await the_market(db)).status == "active"


async def test_a_settlement_message_settles_the_bets_exactly_once(
    db: Database, registry: BrandRegistry
) -> None:
    await apply(db, odds_change("m1", 1))
    bet_id = await bet_on_home(db, registry)
    message = settlement_message("m2", 2, "home")

    first = await apply(db, message)
    second = await apply(db, message)
    await drain_corrections(db)

    assert (first, second) == (Applied.APPLIED, Applied.DUPLICATE)
    settled = await bet(db, bet_id)
    assert (settled.status, settled.payout_minor) == ("won", 20_00)
    assert await wallets(db, settled.player_id) == {WalletKind.CASH: 20_00}
    await assert_ledger_ok(db)


async def test_rollback_then_resettlement_pays_the_new_result(
    db: Database, registry: BrandRegistry
) -> None:
    await apply(db, odds_change("m1", 1))
    bet_id = await bet_on_home(db, registry)
    await apply(db, settlement_message("m2", 2, "home"))
    await drain_corrections(db)

    await apply(
        db,
        RollbackBetSettlement(
            producer="live", message_id="m3", event_ref="ev:1", sequence=3, sent_at=T0,
            markets=MATCH_RESULT,
        ),
    )  # fmt: skip
    await drain_corrections(db)
    late_original = await apply(db, settlement_message("m2b", 2, "home"))
    await apply(db, settlement_message("m4", 4, "away"))
    await drain_corrections(db)

    assert late_original is Applied.STALE
    settled = await bet(db, bet_id)
    assert (settled.status, settled.payout_minor) == ("lost", 0)
    assert await wallets(db, settled.player_id) == {}
    await assert_ledger_ok(db)


async def test_a_cancel_window_voids_only_the_bets_placed_inside_it(
    db: Database, registry: BrandRegistry
) -> None:
    await apply(db, odds_change("m1", 1))
    before = await bet_on_home(db, registry)
    window_start = clock.now()
    inside = await bet_on_home(db, registry)
    window_end = clock.now()

    await apply(
        db,
        BetCancel(
            producer="live", message_id="m2", event_ref="ev:1", sequence=2, sent_at=T0,
            markets=MATCH_RESULT, start=window_start, end=window_end,
        ),
    )  # fmt: skip
    await drain_corrections(db)

    assert (await bet(db, before)).status == "open"
    cancelled = await bet(db, inside)
    assert cancelled.status == "cancelled"
    assert await wallets(db, cancelled.player_id) == {WalletKind.CASH: 10_00}
    assert (await the_market(db)).status == "active"
    await assert_ledger_ok(db)


async def test_heartbeat_loss_suspends_and_recovery_resumes_only_those_markets(
    db: Database,
) -> None:
    await apply(db, Alive(producer="live", message_id="a1", sent_at=T0))
    await apply(db, odds_change("m1", 1))
    async with db.transaction() as uow:
        other = Event(
            competition_id=(await uow.session.scalar(select(Event.competition_id))),
            feed_ref="ev:2", name="Greens v Golds", status="scheduled", starts_at=T0,
        )  # fmt: skip
        uow.session.add(other)
        await uow.flush()
        traded = Market(
            event_id=other.id, type="match_result", name="1X2", status="suspended",
            feed_producer="live", suspended_by=SuspensionReason.TRADER.value,
        )  # fmt: skip
        uow.session.add(traded)
    later = clock.now() + timedelta(seconds=30)

    async with db.transaction() as uow:
        quiet = await heartbeats.suspend_silent_producers(uow, now=clock.now(), timeout_s=20)
        suspended = await heartbeats.suspend_silent_producers(uow, now=later, timeout_s=20)
    async with db.uow() as uow:
        during = dict((await uow.session.execute(select(Market.id, Market.suspended_by))).all())
    await apply(db, Alive(producer="live", message_id="a2", sent_at=later))

    assert (quiet, suspended) == (0, 1)
    async with db.uow() as uow:
        after = dict((await uow.session.execute(select(Market.id, Market.status))).all())
    assert during[traded.id] == "trader"
    assert sorted(during.values(), key=str) == ["heartbeat", "trader"]
    assert after[traded.id] == "suspended"
    assert sorted(after.values()) == ["active", "suspended"]


async def test_odds_while_the_producer_is_down_keep_its_markets_suspended(db: Database) -> None:
    await apply(db, Alive(producer="live", message_id="a1", sent_at=T0))
    await apply(db, odds_change("m1", 1))
    async with db.transaction() as uow:
        await heartbeats.suspend_silent_producers(
            uow, now=clock.now() + timedelta(minutes=1), timeout_s=20
        )

    await apply(db, odds_change("m2", 2, home="1.60"))

    market = await the_market(db)
    assert (market.status, market.suspended_by) == ("suspended", "heartbeat")
    assert (await outcome_odds(db))["home"] == Decimal("1.60")
