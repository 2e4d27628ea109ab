"""The simulated feed: deterministic for a seed, a week of sport at realistic hours priced
with the margin, and a real producer through the port and its processing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from domain.kernel.db import Database
from domain.sportsbook.feed.port import from_wire
from domain.sportsbook.feed.processing import process_message
from domain.sportsbook.feed.simulated.event import PREMATCH
from domain.sportsbook.feed.simulated.schedule import CALENDARS, Schedule
from domain.sportsbook.feed.simulator import HORIZON, FeedSimulator
from domain.sportsbook.models import Event, FeedMarketResults, Market

# A Saturday afternoon in London.
START = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
MARGINS = {
    "football": Decimal("0.06"), "tennis": Decimal("0.05"), "basketball": Decimal("0.045"),
    "horse_racing": Decimal("0.15"),
}  # fmt: skip


@cache
def run(seed: int, minutes: int, horizon: timedelta = HORIZON) -> list[dict[str, Any]]:
    simulator = FeedSimulator(seed=seed, start=START, tick_s=60, horizon=horizon)
    return simulator.poll_wire(START + timedelta(minutes=minutes))


def test_the_same_seed_gives_the_same_feed() -> None:
    again = FeedSimulator(seed=42, start=START, tick_s=60).poll_wire(START + timedelta(minutes=30))

    assert run(42, 30) == again
    assert run(42, 30) != run(43, 30)


def test_the_feed_has_every_kind_of_message_a_day_needs() -> None:
    kinds = Counter(str(m["kind"]) for m in run(3, 180))

    assert {"odds_change", "bet_stop", "bet_settlement", "alive"} <= set(kinds)
    assert kinds["rollback_bet_settlement"] + kinds["bet_cancel"] >= 1


def test_every_prematch_market_sums_to_one_plus_its_sports_margin() -> None:
    checked = Counter[str]()
    for message in run(7, 1):
        if message["kind"] != "odds_change" or message["producer"] != PREMATCH:
            continue
        sport = message["fixture"]["sport_key"]
        for market in message["markets"]:
            odds = [Decimal(o["odds"]) for o in market["outcomes"] if o["active"]]
            margin = Decimal("0.2") if market["type"] == "outright_winner" else MARGINS[sport]
            assert abs(sum(1 / o for o in odds) - (1 + margin)) <= Decimal("0.005"), market
            assert all(Decimal("1.01") <= o <= Decimal(1000) for o in odds)
            checked[market["type"]] += 1

    assert set(checked) == {
        "match_result", "double_chance", "draw_no_bet", "total_goals", "asian_handicap",
        "both_teams_to_score", "correct_score", "first_half_result", "match_winner",
        "set_betting", "total_games", "moneyline", "point_spread", "total_points",
        "race_winner", "outright_winner",
    }  # fmt: skip
    assert sum(checked.values()) > 1000


def test_fixtures_spread_over_the_week_at_the_hours_each_sport_is_played() -> None:
    simulator = FeedSimulator(seed=7, start=START, tick_s=60)
    events = [e for e in simulator.events if not e.ref.startswith("sim:outright:")]

    assert max(e.starts_at for e in events) - START > timedelta(days=6, hours=12)
    for event in events:
        local = event.starts_at.astimezone(ZoneInfo(event.competition.timezone))
        weekend = local.weekday() >= 5
        if event.sport_key == "football":
            assert (weekend and 12 <= local.hour <= 22) or (not weekend and 18 <= local.hour < 21)
        elif event.sport_key == "tennis":
            assert 11 <= local.hour <= 21
        elif event.sport_key == "basketball":
            assert 18 <= local.hour <= 22
        else:
            assert 12 <= local.hour < 18, event.name


def test_a_few_events_are_in_play_at_any_hour_of_the_week() -> None:
    schedule = Schedule(7)
    days = [START.date() + timedelta(days=n) for n in range(-1, 9)]
    fixtures = [e for day in days for e in schedule.day(day)]
    lasts = {"football": 115, "tennis": 100, "basketball": 140, "horse_racing": 3}

    def in_play(at: datetime) -> int:
        return sum(
            1 for e in fixtures
            if e.starts_at <= at < e.starts_at + timedelta(minutes=lasts[e.sport_key])
        )  # fmt: skip

    counts = [in_play(START + timedelta(minutes=m)) for m in range(0, 7 * 24 * 60, 30)]
    assert min(counts) >= 1
    assert sorted(counts)[len(counts) // 2] >= 3  # most of the time, a few
    assert len({c.competition.timezone for c in CALENDARS}) >= 6


def test_a_feed_started_mid_match_joins_it_at_its_score() -> None:
    messages = run(7, 1)
    live = [
        m for m in messages
        if m["kind"] == "odds_change" and m["event_status"] == "live" and m["fixture"]
    ]  # fmt: skip

    assert live
    assert all("clock" in m and m["score"] is not None for m in live)
    assert any(m["clock"]["minute"] > 10 for m in live)


def test_races_carry_place_terms_and_results_carry_places() -> None:
    messages = run(7, 180)
    races = [
        market for m in messages if m["kind"] == "odds_change"
        for market in m["markets"] if market["type"] == "race_winner"
    ]  # fmt: skip
    results = [
        outcome for m in messages if m["kind"] == "bet_settlement"
        for market in m["markets"] if market["type"] == "race_winner"
        for outcome in market["outcomes"]
    ]  # fmt: skip

    assert any(r.get("place_terms") == {"places": 3, "fraction": "1/5"} for r in races)
    placed = [o for o in results if "place" in o]
    assert placed
    assert {o["place"] for o in placed} >= {1, 2, 3}
    assert all(o["result"] == int(o["place"] == 1) for o in placed if o["dead_heat_factor"] == "1")
    # A non-runner has no place and its bets are void.
    assert all(o["void_factor"] == "1" for o in results if "place" not in o)


def test_the_port_reads_the_agreed_extra_keys_or_ignores_them() -> None:
    messages = run(7, 60)

    decoded = [from_wire(m) for m in messages]

    assert len(decoded) == len(messages)
    assert any("clock" in m for m in messages)


async def test_the_simulated_feed_builds_a_book_through_the_same_processing(
    db: Database,
) -> None:
    # A day's horizon: the week's (543 events, 1,733 markets) is checked above without the
    # database; through the processing it only multiplied the same work (about 23 s).
    wire = run(1, 20, timedelta(days=1))
    messages = [from_wire(m) for m in wire]
    fixtures = {m["event_ref"] for m in wire if m.get("fixture")}

    async with db.transaction() as uow:
        for message in messages:
            await process_message(uow, message)

    async with db.uow() as uow:
        events = await uow.session.scalar(select(func.count()).select_from(Event))
        markets = await uow.session.scalar(select(func.count()).select_from(Market))
        live = await uow.session.scalar(
            select(func.count()).select_from(Event).where(Event.status == "live")
        )
        # The book took every settlement: each names exactly the outcomes it knows.
        resulted = await uow.session.scalar(
            select(func.count())
            .select_from(FeedMarketResults)
            .where(FeedMarketResults.results.is_not(None))
        )
    settled = {
        (m["event_ref"], market["type"], market["specifiers"])
        for m in wire
        if m["kind"] == "bet_settlement"
        for market in m["markets"]
    }
    assert settled
    assert resulted == len(settled)
    assert events == len(fixtures)
    assert markets is not None
    assert markets > 2 * events  # races have one market, matches many
    assert live


def test_a_restarted_simulator_is_heard_by_a_book_that_heard_the_first() -> None:
    first = run(7, 30)
    # Stopped after its tick of 14:30, started again half a minute later.
    restarted_at = START + timedelta(minutes=30, seconds=30)
    again = FeedSimulator(seed=7, start=restarted_at, tick_s=60).poll_wire(
        restarted_at + timedelta(minutes=1)
    )

    last_sequence: dict[str, int] = {}
    for message in first:
        if "event_ref" in message:
            last_sequence[message["event_ref"]] = message["sequence"]
    rejoined = [m for m in again if m.get("event_ref") in last_sequence]
    assert rejoined
    # Neither stale nor taken for redeliveries: newer sequences, new message ids.
    assert all(m["sequence"] > last_sequence[m["event_ref"]] for m in rejoined)
    assert not {m["message_id"] for m in first} & {m["message_id"] for m in again}
