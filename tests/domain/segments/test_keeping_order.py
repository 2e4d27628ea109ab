"""Keeping converges whatever the order things happen in: an event committed while a new
segment's fill scans ends in the right membership, and an event applied late counts on the
day its money moved, not on the day it was applied."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from domain.brands.service import BrandRegistry
from domain.kernel import clock
from domain.kernel.db import Database
from domain.segments import refresh, service
from domain.segments.models import PlayerActivityDay
from tests.domain.reporting.support import ledger_move
from tests.domain.segments.support import (
    BRAND,
    CRM,
    DEPOSITED_100_IN_7_DAYS,
    apply_outbox,
    members,
    new_player,
    recent_depositors,
)

_WAITING_ON_ADVISORY = text(
    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
    "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()"
)


async def _advisory_waiters(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(_WAITING_ON_ADVISORY) or 0)


async def test_a_deposit_committed_while_a_new_segment_fills_ends_in_the_segment(
    db: Database, registry: BrandRegistry
) -> None:
    # given a player with no deposit yet, and the events so far applied
    player = await new_player(db, registry)
    seen = await apply_outbox(db)

    # when a CRM member saves a segment: its fill has scanned, but not committed yet
    async with db.uow() as creating:
        view = await service.create_rule_segment(
            creating, CRM, BRAND, "Recent depositors", DEPOSITED_100_IN_7_DAYS
        )
        assert view.member_count == 0
        # ...the player deposits (committed after the scan) and the keeper applies it
        await ledger_move(db, BRAND, player, "EUR", 120_00)
        keeping = asyncio.create_task(apply_outbox(db, seen))
        for _ in range(200):
            if keeping.done() or await _advisory_waiters(db):
                break
            await asyncio.sleep(0.02)
        await creating.commit()
    await asyncio.wait_for(keeping, timeout=10)

    # then the player is a member, with the history of entering
    assert await members(db, view.segment.id) == {player}
    async with db.uow() as uow:
        assert await service.was_member(
            uow, CRM, BRAND, view.segment.id, player_id=player, at=clock.now()
        )


async def test_a_segment_saved_after_the_keeping_committed_finds_the_deposit_in_its_scan(
    db: Database, registry: BrandRegistry
) -> None:
    player = await new_player(db, registry)
    await ledger_move(db, BRAND, player, "EUR", 120_00)
    await apply_outbox(db)

    view = await recent_depositors(db)

    assert view.member_count == 1
    assert await members(db, view.segment.id) == {player}


async def test_a_deposit_applied_eight_days_late_counts_on_its_own_day_and_joins_no_7_day_segment(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a 7-day segment and a deposit of EUR 150 made now
    player = await new_player(db, registry)
    view = await recent_depositors(db)
    deposit_day = clock.today()
    await ledger_move(db, BRAND, player, "EUR", 150_00)

    # when the segments worker applies the event only eight days later
    eight_days_later = clock.now() + timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: eight_days_later)
    await apply_outbox(db)

    # then the deposit is dated on the day it was made, and is outside the window
    async with db.uow() as uow:
        days = (
            await uow.session.scalars(
                select(PlayerActivityDay.day).where(
                    PlayerActivityDay.player_id == player, PlayerActivityDay.measure == "deposit"
                )
            )
        ).all()
    assert days == [deposit_day]
    assert await members(db, view.segment.id) == set()


async def test_a_deposit_applied_two_days_late_still_counts_inside_the_window(
    db: Database, registry: BrandRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await new_player(db, registry)
    rule = {"condition": {"field": "deposit_count", "op": ">=", "number": 1, "window_days": 3}}
    async with db.transaction() as uow:
        view = await service.create_rule_segment(uow, CRM, BRAND, "Deposited in 3 days", rule)
    await ledger_move(db, BRAND, player, "EUR", 10_00)

    two_days_later = clock.now() + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: two_days_later)
    await apply_outbox(db)
    assert await members(db, view.segment.id) == {player}

    # and it leaves when its own day (not the day it was applied) leaves the window
    three_days_later = clock.now() + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: three_days_later)
    await refresh.refresh_brand(db, BRAND)
    assert await members(db, view.segment.id) == set()
