"""Simulated football matches: live prices follow the score and the clock, results follow
the final score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from domain.sportsbook.feed.simulated.event import Competition
from domain.sportsbook.feed.simulated.football import FootballMatch
from domain.sportsbook.feed.simulated.schedule import STRENGTH_SPREAD
from domain.sportsbook.markets.football import Team

KICK_OFF = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
LEAGUE = Competition("test-league", "Test League", "England", "Europe/London")
MATCHES = 100


@cache
def matches() -> list[tuple[FootballMatch, list[dict[str, Any]]]]:
    """MATCHES matches from kick-off to the whistle, strengths across the simulator's
    whole range (its strongest home side against its weakest, and the reverse)."""
    played = []
    for number in range(MATCHES):
        spread = STRENGTH_SPREAD * ((number % 5) - 2) / 2
        home = Team("Home", 1 + spread, 1 - spread)
        away = Team("Away", 1 - spread, 1 + spread)
        match = FootballMatch(
            ref=f"sim:test:{number}", competition=LEAGUE, name="Home v Away",
            starts_at=KICK_OFF, seed=f"test:{number}", teams=(home, away),
        )  # fmt: skip
        match.begin(KICK_OFF)
        played.append((match, [m for _, m in match.advance(KICK_OFF + timedelta(hours=3))]))
    return played


def result_prices(message: dict[str, Any]) -> dict[str, Decimal] | None:
    for market in message["markets"]:
        if market["type"] == "match_result" and market["status"] == "active":
            return {o["key"]: Decimal(o["odds"]) for o in market["outcomes"] if o["active"]}
    return None


def test_a_leading_favourite_shortens_as_time_passes_and_live_prices_stay_in_bounds() -> None:
    runs_checked = 0
    for match, messages in matches():
        favourite = "home" if match.expectations[0] >= match.expectations[1] else "away"
        held: tuple[int, int] | None = None
        last: Decimal | None = None
        for message in messages:
            if message["kind"] != "odds_change" or message.get("clock") is None:
                continue
            prices = result_prices(message)
            if prices is None:
                continue
            clock, score = message["clock"], message["score"]
            if clock["minute"] < 80:
                assert all(Decimal("1.01") <= p <= Decimal(1000) for p in prices.values())
            lead = (score["home"] - score["away"]) * (1 if favourite == "home" else -1)
            if lead <= 0 or favourite not in prices:
                held = last = None
                continue
            if held == (score["home"], score["away"]) and last is not None:
                # Holding the score, the favourite's lead is worth more each minute.
                assert prices[favourite] <= last, (match.ref, clock, score)
                runs_checked += 1
            held, last = (score["home"], score["away"]), prices[favourite]
    assert runs_checked > 1000  # the property was exercised, not skipped


def test_a_goal_stops_the_bets_and_moves_the_prices() -> None:
    _, messages = matches()[0]
    stop = next(i for i, m in enumerate(messages) if m["kind"] == "bet_stop")
    before = next(m for m in reversed(messages[:stop]) if m["kind"] == "odds_change")
    after = next(m for m in messages[stop:] if m["kind"] == "odds_change")

    assert before["score"] != after["score"]
    assert after["clock"]["minute"] > before["clock"]["minute"] + 1  # suspended a while
    assert result_prices(before) != result_prices(after)


def test_a_one_goal_lead_is_short_at_85_minutes_and_not_at_the_first() -> None:
    seen: dict[str, list[Decimal]] = {"early": [], "late": []}
    for _, messages in matches():
        for message in messages:
            clock, prices = message.get("clock"), None
            if message["kind"] == "odds_change" and clock is not None:
                prices = result_prices(message)
            if prices is None or abs(message["score"]["home"] - message["score"]["away"]) != 1:
                continue
            leader = "home" if message["score"]["home"] > message["score"]["away"] else "away"
            if clock["period"] == "1H" and clock["minute"] <= 5:
                seen["early"].append(prices[leader])
            if clock["period"] == "2H" and 84 <= clock["minute"] <= 86:
                seen["late"].append(prices[leader])

    early, late = sorted(seen["early"]), sorted(seen["late"])
    assert early and late
    assert early[len(early) // 2] > Decimal("1.4")
    assert max(late) < Decimal("1.25")
    assert min(early) > max(late)


def test_results_follow_the_final_score() -> None:
    for match, messages in matches()[:20]:
        settlements = [m for m in messages if m["kind"] == "bet_settlement"]
        markets = {(m["type"], m["specifiers"]): m for s in settlements for m in s["markets"]}
        home, away = match.goals
        won = {o["key"] for o in markets[("match_result", "")]["outcomes"] if o["result"] == 1}
        assert won == {"home" if home > away else "away" if away > home else "draw"}
        for (market_type, specifiers), market in markets.items():
            if market_type == "total_goals":
                line = Decimal(specifiers.removeprefix("total="))
                over = next(o for o in market["outcomes"] if o["key"] == "over")
                assert over["result"] == int(home + away > line), (match.ref, specifiers)
        half_time = markets[("first_half_result", "")]["outcomes"]
        assert match.half_time is not None
        assert sum(o["result"] for o in half_time) == 1


def test_every_market_offered_is_settled_once_with_the_outcomes_it_was_offered_with() -> None:
    for _, messages in matches()[:20]:
        offered: dict[tuple[str, str], set[str]] = {}
        for message in messages:
            if message["kind"] == "odds_change":
                for market in message["markets"]:
                    keys = offered.setdefault((market["type"], market["specifiers"]), set())
                    keys |= {o["key"] for o in market["outcomes"]}
        settled: dict[tuple[str, str], set[str]] = {}
        for message in messages:
            if message["kind"] == "bet_settlement":
                for market in message["markets"]:
                    ref = (market["type"], market["specifiers"])
                    settled.setdefault(ref, {o["key"] for o in market["outcomes"]})
        assert settled == offered
