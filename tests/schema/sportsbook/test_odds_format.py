"""The player's odds format: `setOddsFormat`, `Player.oddsFormat`, and `display` without a
`format` written the viewer's way (decimal when signed out), for no extra statement."""

from __future__ import annotations

import uuid

import pytest

from domain.accounts import players
from domain.accounts.errors import UnsupportedOddsFormat
from domain.accounts.models import PrincipalKind
from domain.accounts.principal import Principal
from domain.kernel.db import Database
from tests.schema.sportsbook.support import add_market, gid, signed_in_bettor
from tests.schema.wallets.support import counted_statements
from tests.support import AURORA, Api

SET_ODDS_FORMAT = """mutation($f: OddsFormat!) { setOddsFormat(input: {format: $f}) {
  player { oddsFormat } errors { code field } } }"""

EVENT_LIST = """{ sportsbookEvents(first: 20) { edges { node { markets { outcomes {
  name display } } } } } }"""

EVENT_LIST_IN_DECIMAL = """{ sportsbookEvents(first: 20) { edges { node { markets {
  outcomes { name display(format: DECIMAL) } } } } } }"""

PLACE_BET = """mutation($i: PlaceBetInput!) { placeBet(input: $i) {
  bet { legs { display } } currentOdds { outcome display } errors { code } } }"""

MY_BETS = """{ viewer { player { oddsFormat bets(first: 10) { edges { node {
  legs { display american: display(format: AMERICAN) } } } } } } }"""


def _displays(data: dict[str, object]) -> list[str]:
    edges = data["sportsbookEvents"]["edges"]  # type: ignore[index]
    return [
        outcome["display"]
        for edge in edges
        for market in edge["node"]["markets"]
        for outcome in market["outcomes"]
    ]


def _single(outcome_id: int, odds: str, key: str) -> dict[str, object]:
    return {
        "selections": [{"outcome": gid("Outcome", outcome_id), "odds": odds}],
        "type": "SINGLE",
        "stake": {"amount": "10.00", "currency": "GBP"},
        "idempotencyKey": key,
    }


async def test_the_viewers_format_writes_the_event_list_unless_a_format_is_given(
    server: str, db: Database
) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    await add_market(db, {"home": "2.50", "away": "1.50"})

    before = (await api.query(EVENT_LIST)).data
    changed = (await api.query(SET_ODDS_FORMAT, {"f": "FRACTIONAL"})).data["setOddsFormat"]
    after = (await api.query(EVENT_LIST)).data
    explicit = (await api.query(EVENT_LIST_IN_DECIMAL)).data

    assert changed == {"player": {"oddsFormat": "FRACTIONAL"}, "errors": []}
    assert _displays(before) == ["2.50", "1.50"]
    assert _displays(after) == ["3/2", "1/2"]
    assert _displays(explicit) == ["2.50", "1.50"]
    await api.aclose()


async def test_signed_out_visitors_read_decimal_odds(aurora: Api, db: Database) -> None:
    await add_market(db, {"home": "2.50", "away": "1.50"})

    assert _displays((await aurora.query(EVENT_LIST)).data) == ["2.50", "1.50"]


async def test_bet_legs_and_current_odds_follow_the_viewers_format(
    server: str, db: Database
) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    await api.query(SET_ODDS_FORMAT, {"f": "AMERICAN"})

    placed = (
        await api.query(PLACE_BET, {"i": _single(market.outcomes["home"], "2.50", "f-1")})
    ).data["placeBet"]
    refused = (
        await api.query(PLACE_BET, {"i": _single(market.outcomes["away"], "1.90", "f-2")})
    ).data["placeBet"]
    await api.query(SET_ODDS_FORMAT, {"f": "FRACTIONAL"})
    mine = (await api.query(MY_BETS)).data["viewer"]["player"]

    assert placed["bet"] == {"legs": [{"display": "+150"}]}
    assert refused["errors"] == [{"code": "ODDS_CHANGED"}]
    assert refused["currentOdds"] == [
        {"outcome": gid("Outcome", market.outcomes["away"]), "display": "-167"}
    ]
    assert mine["oddsFormat"] == "FRACTIONAL"
    assert [edge["node"]["legs"] for edge in mine["bets"]["edges"]] == [
        [{"display": "3/2", "american": "+150"}]
    ]
    await api.aclose()


async def test_the_default_format_costs_the_session_statement_once_per_request(
    server: str, db: Database
) -> None:
    api, _player = await signed_in_bettor(server, AURORA, db)
    await api.query(SET_ODDS_FORMAT, {"f": "FRACTIONAL"})
    await add_market(db, {"home": "2.50", "draw": "3.20", "away": "1.50"})
    with counted_statements() as one_event:
        await api.query(EVENT_LIST)
    with counted_statements() as one_event_explicit:
        await api.query(EVENT_LIST_IN_DECIMAL)
    for _ in range(4):
        await add_market(db, {"home": "2.50", "draw": "3.20", "away": "1.50"})
    with counted_statements() as five_events:
        many = (await api.query(EVENT_LIST)).data
    with counted_statements() as five_events_explicit:
        await api.query(EVENT_LIST_IN_DECIMAL)

    assert _displays(many) == ["3/2", "11/5", "1/2"] * 5
    # Events, markets, outcomes; the default adds the session look-up (which carries the
    # format), the same for 3 outcomes and 15. An explicit format never reads it.
    assert len(one_event) == len(five_events) == 4
    assert len(one_event_explicit) == len(five_events_explicit) == 3
    assert not any("auth_sessions" in statement for statement in five_events_explicit)
    await api.aclose()


async def test_set_odds_format_needs_a_signed_in_player(aurora: Api) -> None:
    result = await aurora.query(SET_ODDS_FORMAT, {"f": "AMERICAN"})

    assert result.data["setOddsFormat"] == {
        "player": None,
        "errors": [{"code": "NOT_AUTHENTICATED", "field": None}],
    }


async def test_an_unknown_format_is_a_typed_error_and_changes_nothing(
    server: str, db: Database
) -> None:
    api, player_id = await signed_in_bettor(server, AURORA, db)
    principal = Principal(PrincipalKind.PLAYER, player_id, uuid.uuid4(), "aurora", True)

    async with db.uow() as uow:
        with pytest.raises(UnsupportedOddsFormat) as raised:
            await players.set_odds_format(uow, principal, "aurora", "klingon")
    async with db.uow() as uow:
        stored = await players.get(uow, "aurora", player_id)

    assert raised.value.field == "format"
    assert stored.odds_format == "decimal"
    await api.aclose()
