"""Simulated tennis, basketball and races end as their sports do, and their results follow
the final score by the markets' rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.sportsbook.feed.simulated.basketball import BasketballGame
from domain.sportsbook.feed.simulated.event import Competition
from domain.sportsbook.feed.simulated.racing import Race
from domain.sportsbook.feed.simulated.tennis import TennisMatch
from domain.sportsbook.markets.scores import SetsScore

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TOUR = Competition("test-tour", "Test Tour", None, "Europe/Paris")


def played(event: Any, hours: int = 6) -> list[dict[str, Any]]:
    event.begin(START - timedelta(hours=1))
    return [message for _, message in event.advance(START + timedelta(hours=hours))]


def results(messages: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The first settlement of each market type: outcome key -> its result."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for message in messages:
        if message["kind"] == "bet_settlement":
            for market in message["markets"]:
                found.setdefault(market["type"], {o["key"]: o for o in market["outcomes"]})
    return found


def test_tennis_ends_when_a_player_has_the_sets_and_is_settled_from_them() -> None:
    for number in range(10):
        best_of = 5 if number % 2 else 3
        match = TennisMatch(
            ref=f"sim:tennis:{number}", competition=TOUR, name="A v B", starts_at=START,
            seed=f"tennis:{number}", players=("A", "B"), edge=0.3, best_of=best_of,
        )  # fmt: skip
        settled = results(played(match))

        home, away = SetsScore(tuple(match.sets)).sets_won
        assert max(home, away) == best_of // 2 + 1
        assert all(max(s) in (6, 7) for s in match.sets)
        winner = "home" if home > away else "away"
        assert {k for k, o in settled["match_winner"].items() if o["result"]} == {winner}
        assert {k for k, o in settled["set_betting"].items() if o["result"]} == {f"{home}:{away}"}


def test_basketball_never_ends_level_and_is_settled_from_the_score() -> None:
    for number in range(10):
        game = BasketballGame(
            ref=f"sim:basketball:{number}", competition=TOUR, name="A v B", starts_at=START,
            seed=f"basketball:{number}", home="A", away="B", expected=(112.0, 108.0),
        )  # fmt: skip
        messages = played(game)
        settled = results(messages)

        home, away = game.points
        assert home != away
        assert 150 < home + away < 300
        assert settled["moneyline"]["home"]["result"] == int(home > away)
        clocks = [m["clock"]["period"] for m in messages if m.get("clock")]
        assert {"Q1", "Q2", "Q3", "Q4"} <= set(clocks)


def test_a_race_is_settled_win_and_place_from_its_finishing_order() -> None:
    for number in range(20):
        runners = {f"Horse {n}": 1.0 + n for n in range(9)}
        race = Race(
            ref=f"sim:race:{number}", competition=TOUR, name="14:00 Test", starts_at=START,
            seed=f"race:{number}", runners=runners, handicap=False,
        )  # fmt: skip
        messages = played(race)
        outcomes = results(messages)["race_winner"]
        market = next(
            m for message in messages if message["kind"] == "odds_change"
            for m in message["markets"]
        )  # fmt: skip

        assert market["place_terms"] == {"places": 3, "fraction": "1/5"}
        assert race.positions is not None
        for key, outcome in outcomes.items():
            position = race.positions.get(key)
            if position is None:  # a non-runner
                assert outcome["void_factor"] == "1"
                continue
            assert outcome["place"] == position
            winners = sum(1 for p in race.positions.values() if p == 1)
            expected = Decimal(1) / winners if position == 1 else None
            if expected is not None:
                assert (
                    Decimal(outcome["dead_heat_factor"])
                    == expected.quantize(Decimal("1e-10")).normalize()
                )
            assert outcome["result"] == int(position == 1)
