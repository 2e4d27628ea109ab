"""Each-way from the feed: place terms on a market (`"place_terms": {"places": 3,
"fraction": "1/5"}`), finishing positions in a settlement (`"place": 2`), and the score
and clock of an event, on the wire and applied to the book."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.sportsbook.feed.port import InvalidFeedMessage, PlaceTerms, from_wire, to_wire
from domain.sportsbook.models import BetType, Event, Market, Outcome
from domain.sportsbook.placement import BetSlip, Selection
from tests.domain.sportsbook.feed.test_processing import apply, drain_corrections
from tests.domain.sportsbook.support import assert_ledger_ok, funded_player, place, wallets

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RUNNERS = {"r1": "3.00", "r2": "11.00", "r3": "5.00", "r4": "8.00"}


def race_odds(sequence: int, **market: Any) -> dict[str, Any]:
    return {
        "kind": "odds_change", "producer": "racing", "message_id": f"o{sequence}",
        "event_ref": "race:1", "sequence": sequence, "sent_at": T0.isoformat(),
        "fixture": {
            "sport_key": "racing", "sport_name": "Horse racing", "competition_key": "ascot",
            "competition_name": "Ascot", "name": "3:15 Ascot",
            "starts_at": (T0 + timedelta(hours=1)).isoformat(),
        },
        "score": {"home": 1, "away": 0}, "clock": {"period": "2H", "minute": 67},
        "markets": [{
            "type": "race_winner", "name": "Win or each way", "status": "active",
            "place_terms": {"places": 3, "fraction": "1/5"},
            "outcomes": [{"key": k, "name": k, "odds": o} for k, o in RUNNERS.items()],
            **market,
        }],
    }  # fmt: skip


def race_result(sequence: int, order: list[str]) -> dict[str, Any]:
    return {
        "kind": "bet_settlement", "producer": "racing", "message_id": f"s{sequence}",
        "event_ref": "race:1", "sequence": sequence, "sent_at": T0.isoformat(),
        "markets": [{"type": "race_winner", "outcomes": [
            {"key": key, "result": 1 if position == 1 else 0, "place": position}
            for position, key in enumerate(order, start=1)
        ]}],
    }  # fmt: skip


def test_place_terms_positions_score_and_clock_survive_the_wire() -> None:
    odds = from_wire(race_odds(1))
    settled = from_wire(race_result(2, ["r1", "r2", "r3", "r4"]))

    assert odds.markets[0].place_terms == PlaceTerms(3, Fraction(1, 5))  # type: ignore[union-attr]
    assert (odds.score, odds.clock) == ({"home": 1, "away": 0}, {"period": "2H", "minute": 67})  # type: ignore[union-attr]
    assert [o.place for o in settled.markets[0].outcomes] == [1, 2, 3, 4]  # type: ignore[union-attr]
    assert to_wire(odds)["markets"][0]["place_terms"] == {"places": 3, "fraction": "1/5"}
    assert from_wire(to_wire(odds)) == odds
    assert from_wire(to_wire(settled)) == settled


@pytest.mark.parametrize(
    "terms",
    [
        {"places": 0, "fraction": "1/5"},
        {"places": 3, "fraction": "5/1"},
        {"places": 3, "fraction": "0/5"},
        {"places": 3, "fraction": "1/5/2"},
        {"places": 3, "fraction": 0.2},
        {"places": "3", "fraction": "1/5"},
        {"places": 3},
    ],
)
def test_place_terms_that_pay_nothing_or_more_than_the_win_are_refused(
    terms: dict[str, Any],
) -> None:
    with pytest.raises(InvalidFeedMessage):
        from_wire(race_odds(1, place_terms=terms))


@pytest.mark.parametrize("position", [0, -1, "2", 2.0, True])
def test_a_finishing_position_is_a_positive_integer(position: Any) -> None:
    raw = race_result(2, ["r1", "r2", "r3", "r4"])
    raw["markets"][0]["outcomes"][1]["place"] = position

    with pytest.raises(InvalidFeedMessage):
        from_wire(raw)


async def test_a_feed_race_carries_place_terms_and_pays_each_way_by_position(
    db: Database, registry: BrandRegistry
) -> None:
    await apply(db, from_wire(race_odds(1)))
    async with db.uow() as uow:
        market = (await uow.session.scalars(select(Market))).one()
        event = (await uow.session.scalars(select(Event))).one()
        second = await uow.session.scalar(select(Outcome.id).where(Outcome.key == "r2"))
    assert second is not None
    player = await funded_player(db, registry, 10_00)
    await place(
        db, registry, player,
        BetSlip(selections=(Selection(second, Decimal("11.00")),), stake_minor=5_00,
                bet_type=BetType.SINGLE, each_way=True, idempotency_key=uuid.uuid4().hex),
    )  # fmt: skip

    await apply(db, from_wire(race_result(2, ["r1", "r2", "r3", "r4"])))
    await drain_corrections(db)

    terms = (market.each_way_places, market.each_way_fraction_numerator,
             market.each_way_fraction_denominator)  # fmt: skip
    assert terms == (3, 1, 5)
    assert (event.score, event.clock) == ({"home": 1, "away": 0}, {"period": "2H", "minute": 67})
    assert (await wallets(db, player))["cash"] == 15_00
    await assert_ledger_ok(db)


async def test_a_feed_that_never_sends_place_terms_leaves_a_markets_terms_alone(
    db: Database,
) -> None:
    await apply(db, from_wire(race_odds(1)))
    without = race_odds(2)
    del without["markets"][0]["place_terms"]
    without["message_id"] = "o2"

    await apply(db, from_wire(without))

    async with db.uow() as uow:
        market = (await uow.session.scalars(select(Market))).one()
    assert (market.each_way_places, market.each_way_fraction_denominator) == (3, 5)


def test_a_message_from_outside_cannot_speak_as_the_trader() -> None:
    raw = race_odds(1)
    raw["producer"] = "trader"

    with pytest.raises(InvalidFeedMessage):
        from_wire(raw)
