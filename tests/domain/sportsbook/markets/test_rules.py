"""Every market type's settlement from the final score, edge cases included: pushes on
whole lines, half results on quarter lines, dead heats, non-runners."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from domain.sportsbook.feed.port import OutcomeResult
from domain.sportsbook.feed.results import leg_result
from domain.sportsbook.markets.catalogue import MARKET_TYPES, PlaceTerms, settle
from domain.sportsbook.markets.lines import HALF_LOSE, HALF_WIN, LOSE, PUSH, WIN, Grade
from domain.sportsbook.markets.scores import MatchScore, SetsScore, Standings


def grades(market_type: str, specifiers: str, final: object, **kwargs: object) -> dict[str, Grade]:
    return {s.key: s.grade for s in settle(market_type, specifiers, final, **kwargs)}  # type: ignore[arg-type]


def test_match_result_and_the_first_half_read_their_own_score() -> None:
    score = MatchScore(2, 1, half_time=(0, 1))

    assert grades("match_result", "", score) == {"home": WIN, "draw": LOSE, "away": LOSE}
    assert grades("first_half_result", "", score) == {"home": LOSE, "draw": LOSE, "away": WIN}


def test_a_first_half_market_cannot_be_settled_without_the_half_time_score() -> None:
    with pytest.raises(ValueError, match="half-time"):
        grades("first_half_result", "", MatchScore(1, 0))


def test_double_chance_wins_on_either_of_its_two_results() -> None:
    assert grades("double_chance", "", MatchScore(1, 1)) == {
        "home_draw": WIN, "home_away": LOSE, "draw_away": WIN,
    }  # fmt: skip
    assert grades("double_chance", "", MatchScore(0, 3)) == {
        "home_draw": LOSE, "home_away": WIN, "draw_away": WIN,
    }  # fmt: skip


def test_draw_no_bet_hands_the_stakes_back_on_a_draw() -> None:
    assert grades("draw_no_bet", "", MatchScore(2, 2)) == {"home": PUSH, "away": PUSH}
    assert grades("draw_no_bet", "", MatchScore(0, 1)) == {"home": LOSE, "away": WIN}


@pytest.mark.parametrize(
    ("line", "goals", "over", "under"),
    [
        ("2.5", 2, LOSE, WIN),
        ("2.5", 3, WIN, LOSE),
        ("2", 2, PUSH, PUSH),  # a whole line pushes
        ("2", 3, WIN, LOSE),
        ("2.25", 2, HALF_LOSE, HALF_WIN),  # halves on 2 (push) and 2.5 (lost)
        ("2.25", 3, WIN, LOSE),
        ("2.75", 3, HALF_WIN, HALF_LOSE),  # halves on 2.5 (won) and 3 (push)
        ("2.75", 2, LOSE, WIN),
        ("0.5", 0, LOSE, WIN),
    ],
)
def test_totals_on_whole_half_and_quarter_lines(
    line: str, goals: int, over: Grade, under: Grade
) -> None:
    score = MatchScore(goals, 0)

    assert grades("total_goals", f"total={line}", score) == {"over": over, "under": under}


@pytest.mark.parametrize(
    ("hcp", "score", "home", "away"),
    [
        ("-0.5", (1, 0), WIN, LOSE),
        ("-0.5", (1, 1), LOSE, WIN),
        ("0", (1, 1), PUSH, PUSH),  # level ball
        ("-1", (2, 1), PUSH, PUSH),
        ("-1", (3, 1), WIN, LOSE),
        ("-0.25", (1, 1), HALF_LOSE, HALF_WIN),  # halves on 0 (push) and -0.5 (lost)
        ("-0.25", (2, 1), WIN, LOSE),
        ("-0.75", (2, 1), HALF_WIN, HALF_LOSE),  # halves on -0.5 (won) and -1 (push)
        ("-0.75", (3, 1), WIN, LOSE),
        ("0.25", (0, 1), LOSE, WIN),
        ("0.25", (0, 0), HALF_WIN, HALF_LOSE),
        ("1.75", (0, 2), HALF_LOSE, HALF_WIN),  # the home side given 1.75 loses by 2
    ],
)
def test_asian_handicap_whole_and_quarter_lines(
    hcp: str, score: tuple[int, int], home: Grade, away: Grade
) -> None:
    assert grades("asian_handicap", f"hcp={hcp}", MatchScore(*score)) == {
        "home": home, "away": away,
    }  # fmt: skip


def test_a_line_that_is_not_a_quarter_multiple_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.25"):
        grades("total_goals", "total=2.3", MatchScore(1, 1))


def test_both_teams_to_score() -> None:
    assert grades("both_teams_to_score", "", MatchScore(1, 1)) == {"yes": WIN, "no": LOSE}
    assert grades("both_teams_to_score", "", MatchScore(3, 0)) == {"yes": LOSE, "no": WIN}


def test_correct_score_has_one_winner_and_other_takes_the_rest() -> None:
    listed = grades("correct_score", "", MatchScore(2, 1))
    beyond = grades("correct_score", "", MatchScore(4, 1))

    assert [key for key, grade in listed.items() if grade == WIN] == ["2:1"]
    assert [key for key, grade in beyond.items() if grade == WIN] == ["other"]
    assert len(listed) == 17


def test_tennis_winner_set_betting_and_total_games() -> None:
    score = SetsScore(((6, 4), (3, 6), (7, 6)))

    assert grades("match_winner", "", score) == {"home": WIN, "away": LOSE}
    assert grades("set_betting", "sets=3", score) == {
        "2:0": LOSE, "2:1": WIN, "1:2": LOSE, "0:2": LOSE,
    }  # fmt: skip
    assert grades("total_games", "total=32", score) == {"over": PUSH, "under": PUSH}
    assert grades("total_games", "total=31.5", score) == {"over": WIN, "under": LOSE}
    assert grades("total_games", "total=32.25", score) == {"over": HALF_LOSE, "under": HALF_WIN}


def test_set_betting_best_of_five_lists_every_set_score() -> None:
    score = SetsScore(((6, 4), (6, 4), (6, 4)))

    assert grades("set_betting", "sets=5", score) == {
        "3:0": WIN, "3:1": LOSE, "3:2": LOSE, "2:3": LOSE, "1:3": LOSE, "0:3": LOSE,
    }  # fmt: skip


def test_basketball_moneyline_spread_and_totals() -> None:
    score = MatchScore(104, 100)  # after overtime if there was one

    assert grades("moneyline", "", score) == {"home": WIN, "away": LOSE}
    assert grades("point_spread", "hcp=-4", score) == {"home": PUSH, "away": PUSH}
    assert grades("point_spread", "hcp=-3.5", score) == {"home": WIN, "away": LOSE}
    assert grades("point_spread", "hcp=-4.5", score) == {"home": LOSE, "away": WIN}
    assert grades("total_points", "total=204.5", score) == {"over": LOSE, "under": WIN}


def test_a_level_basketball_score_is_not_final() -> None:
    with pytest.raises(ValueError, match="level"):
        grades("moneyline", "", MatchScore(99, 99))


RUNNERS = ("a", "b", "c", "d", "e", "f", "g", "h")


def test_a_race_winner_and_each_way_places() -> None:
    standings = Standings.of({key: position for position, key in enumerate(RUNNERS, 1)})

    settled = {
        s.key: s
        for s in settle(
            "race_winner", "", standings, participants=RUNNERS,
            place_terms=PlaceTerms(3, Fraction(1, 5)),
        )
    }  # fmt: skip

    assert {k: s.grade for k, s in settled.items() if s.grade != LOSE} == {"a": WIN}
    assert [k for k, s in settled.items() if s.place_grade == WIN] == ["a", "b", "c"]
    assert settled["d"].place_grade == LOSE
    assert settled["b"].wire() == {
        "key": "b", "result": 0, "void_factor": "0", "dead_heat_factor": "1", "place": 2,
    }  # fmt: skip


def test_a_dead_heat_for_first_pays_half_to_each() -> None:
    standings = Standings.of({"a": 1, "b": 1, "c": 3, "d": 4, "e": 5})

    settled = {s.key: s for s in settle("race_winner", "", standings, participants="abcde")}

    half = Grade(1, dead_heat_factor=Fraction(1, 2))
    assert (settled["a"].grade, settled["b"].grade, settled["c"].grade) == (half, half, LOSE)
    assert half.win_share == Fraction(1, 2)
    assert settled["a"].wire()["dead_heat_factor"] == "0.5"


def test_a_dead_heat_across_the_last_place_shares_the_places_left() -> None:
    standings = Standings.of({"a": 1, "b": 2, "c": 3, "d": 3, "e": 5})

    settled = {
        s.key: s
        for s in settle(
            "race_winner", "", standings, participants="abcde",
            place_terms=PlaceTerms(3, Fraction(1, 5)),
        )
    }  # fmt: skip

    half = Grade(1, dead_heat_factor=Fraction(1, 2))
    assert (settled["c"].place_grade, settled["d"].place_grade) == (half, half)
    assert settled["b"].place_grade == WIN
    # The wire carries the positions only (v1 has no place dead-heat field); the platform
    # derives the same share from them.
    wire = settled["c"].wire()
    assert wire["place"] == 3 and "place_dead_heat_factor" not in wire
    tied = OutcomeResult("c", 0, Decimal(wire["void_factor"]), Decimal("1"), wire["place"])
    derived = leg_result(tied, 3, tied=2)
    assert derived is not None and derived.place_dead_heat == Fraction(1, 2)


def test_a_non_runner_is_void_win_and_place() -> None:
    standings = Standings.of({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})

    settled = {
        s.key: s
        for s in settle(
            "race_winner", "", standings, participants="abcdef",
            place_terms=PlaceTerms(2, Fraction(1, 4)),
        )
    }  # fmt: skip

    assert (settled["f"].grade, settled["f"].place_grade) == (PUSH, PUSH)
    assert settled["f"].wire()["void_factor"] == "1"


def test_an_outright_three_way_tie_for_the_title_pays_a_third() -> None:
    standings = Standings.of({"reds": 1, "blues": 1, "saints": 1, "villans": 4})

    settled = grades(
        "outright_winner", "", standings, participants=("reds", "blues", "saints", "villans")
    )

    assert settled["reds"].dead_heat_factor == Fraction(1, 3)
    assert settled["villans"] == LOSE


def test_every_market_type_grades_every_outcome_of_a_sample_result() -> None:
    finals = {
        "football": MatchScore(1, 1, half_time=(1, 0)),
        "tennis": SetsScore(((6, 4), (6, 7), (6, 2))),
        "basketball": MatchScore(101, 99),
        "horse_racing": Standings.of({"a": 1, "b": 2}),
        "outrights": Standings.of({"a": 2, "b": 1}),
    }
    specifiers = {"total_goals": "total=2.5", "asian_handicap": "hcp=-0.25",
                  "set_betting": "sets=3", "total_games": "total=22.5",
                  "point_spread": "hcp=-1.5", "total_points": "total=200.5"}  # fmt: skip

    for market in MARKET_TYPES.values():
        settled = settle(
            market.key, specifiers.get(market.key, ""), finals[market.sport], participants="ab"
        )
        shares = sum(s.grade.win_share for s in settled)
        assert settled, market.key
        # One winner's worth of shares in every market whose outcomes exclude each other.
        if market.key not in ("double_chance", "draw_no_bet", "asian_handicap"):
            assert shares == 1, market.key
