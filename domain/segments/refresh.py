"""The daily refresh: rolling windows, ages and "days since" numbers change a player's
match with the day alone, with no event. The refresh re-evaluates only the players whose
match the days since its last completed run can have changed, never the whole brand:
members of the brand's time-bound segments; players whose facts sit on a day that left a
window, or whose last activity crossed a `days_since_active` number; players registered
on a day a `days_since_registration` number reached or passed; and, when an age is tested,
players whose birthday fell in those days.

It works from the last completed run (`segment_refresh_runs.done_through`), not from "an
hour ago": a scheduler down over midnight leaves days that the next run covers. Each brand
is refreshed on its own and in batches of players, each batch one short transaction that
also records how far it got; a run that stops resumes after the last committed batch. A
batch run twice changes nothing (evaluation writes only differences), so it is idempotent.
"""

from __future__ import annotations

import calendar
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from sqlalchemy import Select, select, union

from domain.accounts.models import Player
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.segments import membership, rules
from domain.segments.models import (
    PlayerActivityDay,
    SegmentMember,
    SegmentRefreshRun,
    birthday_key,
)

log = logging.getLogger(__name__)

# Players evaluated per transaction: the locks, WAL and outbox rows of one batch stay small.
BATCH_SIZE: Final = 500
# Days one run covers at most: beyond a year every window and birthday has turned over.
CATCH_UP_DAYS_MAX: Final = 366


async def refresh_all(db: Database, *, batch_size: int = BATCH_SIZE) -> int:
    """Refresh every brand with a live rule segment, each on its own: one brand's failure
    neither rolls back nor holds back the others (it is raised once all have run, and
    that brand resumes on the next run). Returns how many memberships changed."""
    async with db.uow() as uow:
        brands = await membership.brands_with_rules(uow)
    changed = 0
    failed: list[tuple[str, Exception]] = []
    for brand in brands:
        try:
            changed += await refresh_brand(db, brand, batch_size=batch_size)
        except Exception as error:
            log.exception("segment refresh of brand %s failed", brand)
            failed.append((brand, error))
    if failed:
        raise failed[0][1]
    return changed


async def refresh_brand(db: Database, brand: str, *, batch_size: int = BATCH_SIZE) -> int:
    """Bring the brand's segments up to today, one batch per transaction; returns how
    many memberships changed. Nothing to do when today is already done."""
    changed = 0
    while True:
        async with db.transaction() as uow:
            run = await _run(uow, brand)
            today = clock.today()
            if run.target_day is None:
                if run.done_through >= today:
                    return changed
                run.target_day, run.cursor = today, None
            changed += await _batch(uow, brand, run, batch_size)
            run.updated_at = clock.now()


async def _run(uow: UnitOfWork, brand: str) -> SegmentRefreshRun:
    """The brand's run row, locked (two refreshers of a brand take turns); a brand never
    refreshed starts from yesterday (its segments were filled when saved)."""
    statement = select(SegmentRefreshRun).where(SegmentRefreshRun.brand == brand)
    found = await uow.session.scalar(statement.with_for_update())
    if found is None:
        found = SegmentRefreshRun(
            brand=brand, done_through=clock.today() - timedelta(days=1), target_day=None,
            cursor=None, updated_at=clock.now(),
        )  # fmt: skip
        uow.session.add(found)
        await uow.flush()
    return found


async def _batch(uow: UnitOfWork, brand: str, run: SegmentRefreshRun, batch_size: int) -> int:
    assert run.target_day is not None
    since = max(run.done_through, run.target_day - timedelta(days=CATCH_UP_DAYS_MAX))
    timed, edges = await _timed_segments(uow, brand)
    players: Sequence[uuid.UUID] = []
    if timed:
        query = candidates(
            brand, timed, edges, since, run.target_day, after=run.cursor, limit=batch_size
        )
        players = (await uow.session.scalars(query)).all()
    changed = await membership.evaluate_players(uow, brand, players)
    if len(players) < batch_size:
        run.done_through, run.target_day, run.cursor = run.target_day, None, None
    else:
        run.cursor = players[-1]
    return changed


async def _timed_segments(uow: UnitOfWork, brand: str) -> tuple[list[uuid.UUID], rules.TimeEdges]:
    edges = rules.TimeEdges()
    timed: list[uuid.UUID] = []
    for segment_id, rule in await membership.live_rules(uow, brand):
        segment_edges = rules.time_edges(rule)
        if segment_edges.any:
            edges.add(segment_edges)
            timed.append(segment_id)
    return timed, edges


def candidates(
    brand: str,
    timed: Sequence[uuid.UUID],
    edges: rules.TimeEdges,
    since: date,
    target: date,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> Select[uuid.UUID]:
    """The first `limit` players after `after` (id order) whose match may have changed on
    a day after `since` up to `target`. Each branch is its own keyset page on an index
    (segment members by segment, facts by brand and day, players by brand and
    registration time or birthday), so a page costs about its size, not the brand's."""
    branches: list[Select[uuid.UUID]] = [
        select(SegmentMember.player_id).where(SegmentMember.segment_id == segment_id)
        for segment_id in timed
    ]
    # A fact on day f leaves a window of w days on day f + w; a last activity on day L
    # crosses a `days_since_active` number n on day L + n (>=) or L + n + 1 (>).
    fact_ranges = [(since + timedelta(days=1 - w), target - timedelta(days=w))
                   for w in sorted(edges.windows)]  # fmt: skip
    fact_ranges += [(since - timedelta(days=n), target - timedelta(days=n))
                    for n in sorted(edges.active_days)]  # fmt: skip
    for first, last in fact_ranges:
        branches.append(
            select(PlayerActivityDay.player_id).where(
                PlayerActivityDay.brand == brand, PlayerActivityDay.day.between(first, last)
            )
        )
    # Registered on day d: the number of days since is n on day d + n, n + 1 the day after.
    for n in sorted(edges.registration_days):
        first, last = since - timedelta(days=n), target - timedelta(days=n)
        branches.append(
            select(Player.id).where(
                Player.brand == brand,
                Player.created_at >= _midnight(first),
                Player.created_at < _midnight(last + timedelta(days=1)),
            )
        )
    if edges.ages:
        branches.append(
            select(Player.id).where(
                Player.brand == brand,
                birthday_key(Player.date_of_birth).in_(birthday_keys(since, target)),
            )
        )
    pages = [_page(branch, after, limit) for branch in branches]
    found = union(*pages).subquery()
    return select(found.c.player_id).order_by(found.c.player_id).limit(limit)


def _page(branch: Select[uuid.UUID], after: uuid.UUID | None, limit: int) -> Select[uuid.UUID]:
    column = branch.selected_columns[0]
    if after is not None:
        branch = branch.where(column > after)
    return branch.order_by(column).limit(limit)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def birthday_keys(since: date, target: date) -> list[int]:
    """month * 100 + day of every day after `since` up to `target`, and of 29 February
    when a 1 March of a common year is among them (those born then age on that day)."""
    keys: set[int] = set()
    day = since + timedelta(days=1)
    while day <= target and len(keys) < CATCH_UP_DAYS_MAX:
        keys.add(day.month * 100 + day.day)
        if (day.month, day.day) == (3, 1) and not calendar.isleap(day.year):
            keys.add(229)
        day += timedelta(days=1)
    return sorted(keys)
