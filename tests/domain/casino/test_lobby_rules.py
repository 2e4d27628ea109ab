"""The big-win rule and the lobby's input validation, as pure functions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.casino.lobby import InvalidLobbyFilter, LobbyCursor, LobbyFilter
from domain.casino.rounds import BigWinRule
from domain.kernel.ids import new_id
from domain.kernel.paging import InvalidCursor


def test_the_big_win_minimum_is_per_currency_in_major_units_rounded_up() -> None:
    rule = BigWinRule.of(
        stake_multiple=350,
        default_amount=Decimal("1000.005"),
        amounts={"JPY": Decimal(150_000)},
        currencies=["EUR", "JPY", "XXX"],
    )

    assert rule.min_amount_minor == {"EUR": 100_001, "JPY": 150_000}
    assert rule.flags(win_minor=100_000, bet_minor=200, currency="EUR") is False
    assert rule.flags(win_minor=100_001, bet_minor=200, currency="EUR") is True
    assert rule.flags(win_minor=349_999, bet_minor=1_000, currency="JPY") is False
    assert rule.flags(win_minor=350_000, bet_minor=1_000, currency="JPY") is True
    # A refunded round staked nothing; an unknown currency is never flagged.
    assert rule.flags(win_minor=200_000, bet_minor=0, currency="EUR") is False
    assert rule.flags(win_minor=10**9, bet_minor=1, currency="XXX") is False


def test_a_lobby_cursor_round_trips_and_a_forged_one_is_refused() -> None:
    cursor = LobbyCursor('Book | of "Stars"', new_id())

    assert LobbyCursor.decode(cursor.encode()) == cursor
    for forged in ("", "bm9wZQ", cursor.encode()[:-3]):
        with pytest.raises(InvalidCursor):
            LobbyCursor.decode(forged)


def test_a_blank_search_is_no_search_and_too_many_tags_are_refused() -> None:
    assert LobbyFilter.of(search="  book   of ").search == "book of"
    assert LobbyFilter.of(search="   ").search is None
    with pytest.raises(InvalidLobbyFilter):
        LobbyFilter.of(tags=[f"t{i}" for i in range(11)])
