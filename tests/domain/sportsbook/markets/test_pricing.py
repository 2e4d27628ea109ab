"""The pricing models: consistent markets from one model, each summing to 1 + margin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.sportsbook.markets import basketball, football, racing, tennis
from domain.sportsbook.markets.pricing import (
    ODDS_MAX,
    ODDS_MIN,
    fair_probabilities,
    overround,
    with_margin,
)

MARGIN = Decimal("0.06")
TOLERANCE = Decimal("0.005")
STRENGTHS = (0.8, 0.95, 1.0, 1.1, 1.25)


def assert_priced(quoted: list[tuple[str, str, dict[str, Decimal]]], margin: Decimal) -> None:
    for market_type, specifiers, odds in quoted:
        assert abs(overround(odds.values()) - (1 + margin)) <= TOLERANCE, (
            market_type,
            specifiers,
            odds,
        )
        assert all(ODDS_MIN <= price <= ODDS_MAX for price in odds.values())
        assert all(price == price.quantize(Decimal("0.01")) for price in odds.values())


@pytest.mark.parametrize("attack", STRENGTHS)
@pytest.mark.parametrize("defence", STRENGTHS)
def test_every_prematch_football_market_sums_to_one_plus_the_margin(
    attack: float, defence: float
) -> None:
    home = football.Team("home", attack, defence)
    away = football.Team("away", 2 - attack, 2 - defence)

    quoted = football.markets(football.goal_expectations(home, away), football.MatchState(), MARGIN)

    assert {market_type for market_type, _, _ in quoted} == {
        "match_result", "double_chance", "draw_no_bet", "total_goals", "asian_handicap",
        "both_teams_to_score", "correct_score", "first_half_result",
    }  # fmt: skip
    assert_priced(quoted, MARGIN)


def test_football_markets_agree_with_each_other() -> None:
    expectations = (1.7, 1.0)
    cells = football.distribution(expectations, football.MatchState())
    result = fair_probabilities("match_result", "", ("home", "draw", "away"), cells)
    dnb = fair_probabilities("draw_no_bet", "", ("home", "away"), cells)
    level = fair_probabilities("asian_handicap", "hcp=0", ("home", "away"), cells)
    double = fair_probabilities("double_chance", "", ("home_draw",), cells)

    # Draw no bet is the 1X2 without the draw, and is the level-ball handicap.
    assert dnb["home"] == pytest.approx(
        result["home"] / (result["home"] + result["away"]), rel=1e-4
    )
    assert level["home"] == pytest.approx(dnb["home"], rel=1e-4)
    assert double["home_draw"] == pytest.approx(result["home"] + result["draw"], rel=1e-4)
    assert result["home"] > result["away"]


def test_a_quarter_handicap_lies_between_its_two_halves() -> None:
    cells = football.distribution((1.5, 1.2), football.MatchState())

    def home(hcp: str) -> float:
        return fair_probabilities("asian_handicap", f"hcp={hcp}", ("home",), cells)["home"]

    assert home("0") > home("-0.25") > home("-0.5")


def test_the_same_inputs_give_the_same_prices() -> None:
    def quote() -> object:
        return football.markets((1.4, 1.2), football.MatchState(1, 0, 30), MARGIN, live=True)

    assert quote() == quote()


@pytest.mark.parametrize("minute", [1, 30, 60, 85])
def test_a_lead_is_worth_more_the_bigger_it_is(minute: int) -> None:
    expectations = (1.5, 1.1)

    def home_price(lead: int) -> Decimal:
        state = football.MatchState(lead, 0, minute, (0, 0) if minute >= 45 else None)
        return football.markets(expectations, state, MARGIN, live=True)[0][2]["home"]

    assert home_price(1) > home_price(2) > home_price(3) or home_price(3) == ODDS_MIN


def test_a_team_leading_at_85_minutes_is_short_and_not_at_the_first() -> None:
    expectations = (1.3, 1.2)

    def home_price(minute: int) -> Decimal:
        state = football.MatchState(1, 0, minute, (1, 0) if minute >= 45 else None)
        return football.markets(expectations, state, MARGIN, live=True)[0][2]["home"]

    # One goal up at the first minute of an even match: favoured, far from a certainty.
    assert home_price(1) > Decimal("1.4")
    assert home_price(85) < Decimal("1.1")


def test_a_live_outcome_that_cannot_happen_any_more_is_withdrawn() -> None:
    state = football.MatchState(2, 1, 50, (1, 1))

    quoted = {
        (market_type, specifiers): odds
        for market_type, specifiers, odds in football.markets((1.3, 1.2), state, MARGIN, live=True)
    }

    assert (
        set(quoted[("total_goals", "total=1.5")]) == {"over"}
        or ("total_goals", "total=1.5") not in quoted
    )
    assert ("both_teams_to_score", "") not in quoted
    assert ("first_half_result", "") not in quoted


@pytest.mark.parametrize("game", [0.38, 0.5, 0.56, 0.62])
@pytest.mark.parametrize("best_of", [3, 5])
def test_every_prematch_tennis_market_sums_to_one_plus_the_margin(
    game: float, best_of: int
) -> None:
    quoted = tennis.markets(game, best_of, tennis.TennisState(), Decimal("0.05"))

    assert [market_type for market_type, _, _ in quoted] == [
        "match_winner", "set_betting", "total_games",
    ]  # fmt: skip
    assert_priced(quoted, Decimal("0.05"))


def test_tennis_set_scores_follow_the_rules_of_a_set() -> None:
    finals = dict(tennis.set_scores(0.5, 0, 0))

    assert set(finals) == {
        (6, 0), (6, 1), (6, 2), (6, 3), (6, 4), (7, 5), (7, 6),
        (0, 6), (1, 6), (2, 6), (3, 6), (4, 6), (5, 7), (6, 7),
    }  # fmt: skip
    assert sum(finals.values()) == pytest.approx(1)
    assert finals[(6, 0)] == pytest.approx(0.5**6)


@pytest.mark.parametrize("expected", [(112.0, 106.0), (100.0, 115.0), (108.0, 108.0)])
def test_every_prematch_basketball_market_sums_to_one_plus_the_margin(
    expected: tuple[float, float],
) -> None:
    quoted = basketball.markets(expected, basketball.GameState(), Decimal("0.045"))

    assert_priced(quoted, Decimal("0.045"))
    spread = dict(quoted[1][2])
    assert abs(spread["home"] - spread["away"]) < Decimal("0.5")  # the line balances it


def test_a_race_card_prices_by_rating_and_sums_to_its_margin() -> None:
    ratings = {f"runner {n}": float(n) for n in range(1, 11)}

    odds = racing.prices(ratings, Decimal("0.15"))

    assert abs(overround(odds.values()) - Decimal("1.15")) <= TOLERANCE
    assert odds["runner 10"] < odds["runner 5"] < odds["runner 1"]


def test_prices_stay_within_the_bounds() -> None:
    odds = with_margin({"favourite": 0.9999, "outsider": 0.0001}, MARGIN, fitted=False)

    assert odds == {"favourite": ODDS_MIN, "outsider": ODDS_MAX}
