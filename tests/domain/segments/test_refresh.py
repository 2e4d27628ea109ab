"""The daily refresh works from its last completed run (a missed midnight is caught up),
per brand and in batches of players, each its own short transaction: a run that stops
resumes after its last committed batch, re-evaluates nobody twice, and a brand that fails
holds back no other. The players whose age changes are found through an index."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.segments import membership, refresh, service
from domain.segments.models import SegmentMembershipChange, SegmentRefreshRun
from tests.domain.segments.support import BRAND, CRM, apply_outbox, members, new_player
from tests.support import explained, selects_of

OTHER_BRAND = "northstar"
THIRTY_OR_OLDER = {"condition": {"field": "age_years", "op": ">=", "number": 30}}
REGISTERED_A_DAY_AGO = {"condition": {"field": "days_since_registration", "op": ">=", "number": 1}}


def _move_clock(monkeypatch: pytest.MonkeyPatch, days: int) -> date:
    moved = clock.now() + timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: moved)
    return moved.date()


_EVALUATE_PLAYERS = membership.evaluate_players


class _Evaluations:
    """Wraps membership.evaluate_players: records whom each batch evaluated, and raises
    for the brands or the batch number given (a worker dying mid-run)."""

    def __init__(self, *, fail_brands: Collection[str] = (), fail_call: int | None = None):
        self.batches: list[tuple[str, list[uuid.UUID]]] = []
        self.fail_brands, self.fail_call = set(fail_brands), fail_call

    async def __call__(self, uow: UnitOfWork, brand: str, players: Collection[uuid.UUID]) -> int:
        self.batches.append((brand, sorted(players)))
        if brand in self.fail_brands or len(self.batches) == self.fail_call:
            raise RuntimeError("the worker stopped")
        return await _EVALUATE_PLAYERS(uow, brand, players)


async def _segment(db: Database, name: str, rule: dict[str, Any], brand: str = BRAND) -> uuid.UUID:
    async with db.transaction() as uow:
        view = await service.create_rule_segment(uow, CRM, brand, name, rule)
    return view.segment.id


async def _run_of(db: Database, brand: str) -> tuple[date, date | None, uuid.UUID | None]:
    async with db.uow() as uow:
        run = await uow.session.get(SegmentRefreshRun, brand)
        assert run is not None
        return run.done_through, run.target_day, run.cursor


async def _changes(db: Database, segment_id: uuid.UUID) -> int:
    async with db.uow() as uow:
        return int(
            await uow.session.scalar(
                select(func.count())
                .select_from(SegmentMembershipChange)
                .where(SegmentMembershipChange.segment_id == segment_id)
            )
            or 0
        )


async def test_a_birthday_on_a_missed_day_is_caught_up_on_the_next_run(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a player turning 30 tomorrow, and a refresh that ran today
    today = clock.today()
    tomorrow = today + timedelta(days=1)
    turning = await new_player(
        db, registry, date_of_birth=tomorrow.replace(year=tomorrow.year - 30)
    )
    await new_player(db, registry, date_of_birth=today.replace(year=today.year - 20))
    await apply_outbox(db)
    segment_id = await _segment(db, "Thirty plus", THIRTY_OR_OLDER)
    assert await refresh.refresh_brand(db, BRAND) == 0
    assert await _run_of(db, BRAND) == (today, None, None)

    # when the scheduler is down over the next midnight and runs again the day after
    day_after = _move_clock(monkeypatch, 2)
    assert await refresh.refresh_brand(db, BRAND) == 1

    # then the birthday on the missed day counted, and the run is complete through today
    assert await members(db, segment_id) == {turning}
    assert await _run_of(db, BRAND) == (day_after, None, None)
    # and a second run the same day evaluates nobody
    evaluations = _Evaluations()
    monkeypatch.setattr(membership, "evaluate_players", evaluations)
    assert await refresh.refresh_brand(db, BRAND) == 0
    assert evaluations.batches == []


async def test_a_run_that_stops_resumes_after_its_last_committed_batch(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    players = sorted([await new_player(db, registry) for _ in range(5)])
    await apply_outbox(db)
    segment_id = await _segment(db, "Registered a day ago", REGISTERED_A_DAY_AGO)
    assert await members(db, segment_id) == set()
    tomorrow = _move_clock(monkeypatch, 1)

    # the worker dies in the second batch of two players
    failing = _Evaluations(fail_call=2)
    monkeypatch.setattr(membership, "evaluate_players", failing)
    with pytest.raises(RuntimeError):
        await refresh.refresh_brand(db, BRAND, batch_size=2)
    assert failing.batches == [(BRAND, players[:2]), (BRAND, players[2:4])]
    assert await members(db, segment_id) == set(players[:2])  # the first batch committed
    assert await _run_of(db, BRAND) == (tomorrow - timedelta(days=1), tomorrow, players[1])

    # the next run starts after the first batch, and finishes
    resumed = _Evaluations()
    monkeypatch.setattr(membership, "evaluate_players", resumed)
    assert await refresh.refresh_brand(db, BRAND, batch_size=2) == 3
    assert resumed.batches == [(BRAND, players[2:4]), (BRAND, players[4:])]
    assert await members(db, segment_id) == set(players)
    assert await _changes(db, segment_id) == 5  # each entered once
    assert await _run_of(db, BRAND) == (tomorrow, None, None)


async def test_a_brand_that_fails_holds_back_no_other_and_resumes_on_the_next_run(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = await new_player(db, registry)
    there = await new_player(db, registry, brand=OTHER_BRAND)
    await apply_outbox(db)
    segment_here = await _segment(db, "Registered a day ago", REGISTERED_A_DAY_AGO)
    segment_there = await _segment(db, "Registered a day ago", REGISTERED_A_DAY_AGO, OTHER_BRAND)
    tomorrow = _move_clock(monkeypatch, 1)

    monkeypatch.setattr(membership, "evaluate_players", _Evaluations(fail_brands={BRAND}))
    with pytest.raises(RuntimeError):
        await refresh.refresh_all(db)
    assert await members(db, segment_there) == {there}
    assert (await _run_of(db, OTHER_BRAND))[0] == tomorrow
    assert await members(db, segment_here) == set()

    monkeypatch.setattr(membership, "evaluate_players", _Evaluations())
    assert await refresh.refresh_all(db) == 1
    assert await members(db, segment_here) == {here}
    assert (await _run_of(db, BRAND))[0] == tomorrow


async def test_the_players_whose_age_or_registration_days_change_are_found_through_indexes(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    await new_player(db, registry)
    await _segment(db, "Thirty plus", THIRTY_OR_OLDER)
    await _segment(db, "Registered a day ago", REGISTERED_A_DAY_AGO)
    _move_clock(monkeypatch, 1)
    with selects_of(db) as statements:
        await refresh.refresh_brand(db, BRAND)
    statement, parameters = next(s for s in statements if "date_of_birth" in s[0])

    # The test's players table is tiny: sequential scans are priced out, so a missing
    # index fails here rather than in production.
    plan = await explained(db, statement, parameters)
    async with db.engine.connect() as connection:
        indexes = await connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'players'"
        )
        names = {row[0] for row in indexes}
    # Which index a plan picks on a tiny table is the planner's choice (on the primary key
    # with a filter, some runs): what must hold is that no plan scans every player, and
    # that the indexes for the birthday and registration-day lookups exist.
    assert "Seq Scan on players" not in plan
    assert {"ix_players_brand_birthday", "ix_players_brand_created_at"} <= names


def test_birthdays_of_29_february_count_on_1_march_of_a_common_year() -> None:
    assert refresh.birthday_keys(date(2027, 2, 27), date(2027, 3, 1)) == [228, 229, 301]
    assert refresh.birthday_keys(date(2028, 2, 28), date(2028, 2, 29)) == [229]
    assert refresh.birthday_keys(date(2028, 2, 29), date(2028, 3, 1)) == [301]
    assert refresh.birthday_keys(date(2026, 12, 31), date(2026, 12, 31)) == []
    assert len(refresh.birthday_keys(date(2020, 1, 1), date(2026, 1, 1))) == 366
