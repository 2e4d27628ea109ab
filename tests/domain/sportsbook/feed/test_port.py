"""The feed port's wire form: a value that could never be applied is refused on receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.sportsbook.feed.port import InvalidFeedMessage, from_wire, to_wire
from tests.domain.sportsbook.feed.test_processing import odds_change, settlement_message


def _odds(value: Any) -> Callable[[dict[str, Any]], None]:
    def spoil(wire: dict[str, Any]) -> None:
        wire["markets"][0]["outcomes"][0]["odds"] = value

    return spoil


def _result(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def spoil(wire: dict[str, Any]) -> None:
        wire["markets"][0]["outcomes"][0][field] = value

    return spoil


NEVER_APPLICABLE_ODDS = {
    "NaN": _odds("NaN"),
    "signalling NaN": _odds("sNaN"),
    "infinity": _odds("Infinity"),
    "negative": _odds("-2.00"),
    "absurd": _odds("1E+400"),
    "a float, not a string": _odds(2.5),
    "garbage": _odds("two"),
}
NEVER_APPLICABLE_RESULTS = {
    "result 2": _result("result", 2),
    "result true": _result("result", True),
    "void factor 0.3": _result("void_factor", "0.3"),
    "void factor NaN": _result("void_factor", "NaN"),
    "dead heat 0": _result("dead_heat_factor", "0"),
    "dead heat above 1": _result("dead_heat_factor", "1.5"),
    "dead heat infinity": _result("dead_heat_factor", "Infinity"),
}


@pytest.mark.parametrize("spoil", NEVER_APPLICABLE_ODDS.values(), ids=NEVER_APPLICABLE_ODDS)
def test_odds_that_can_never_be_applied_are_refused_on_receipt(
    spoil: Callable[[dict[str, Any]], None],
) -> None:
    wire = to_wire(odds_change("m1", 1))
    spoil(wire)

    with pytest.raises(InvalidFeedMessage):
        from_wire(wire)


@pytest.mark.parametrize("spoil", NEVER_APPLICABLE_RESULTS.values(), ids=NEVER_APPLICABLE_RESULTS)
def test_results_that_can_never_be_applied_are_refused_on_receipt(
    spoil: Callable[[dict[str, Any]], None],
) -> None:
    wire = to_wire(settlement_message("s1", 1, "home"))
    spoil(wire)

    with pytest.raises(InvalidFeedMessage):
        from_wire(wire)


@pytest.mark.parametrize("sequence", [-1, "7", 1.5, None])
def test_a_sequence_that_is_not_a_non_negative_integer_is_refused(sequence: Any) -> None:
    wire = to_wire(odds_change("m1", 1))
    wire["sequence"] = sequence

    with pytest.raises(InvalidFeedMessage):
        from_wire(wire)


def test_the_values_at_the_edges_of_the_ranges_are_accepted() -> None:
    wire = to_wire(settlement_message("s1", 1, "home"))
    wire["markets"][0]["outcomes"][0].update(void_factor="0.5", dead_heat_factor="1")
    odds = to_wire(odds_change("m1", 0))
    odds["markets"][0]["outcomes"][0]["odds"] = "1.00"  # "not offered", not invalid

    assert from_wire(wire).sequence == 1
    assert from_wire(odds).sequence == 0
