"""Segment membership, kept incrementally: when an event about a player arrives, that
player alone is evaluated against every live rule segment of their brand (one statement),
and the difference with their current memberships is written with its history and events.
The only scans over a brand's players are the preview and the first fill of a new segment.

Fill and keeping converge through one advisory lock per brand: keeping holds it shared
from before it reads the brand's live segments until its commit; the fill holds it
exclusive from before its scan until the new segment commits. An event whose keeping
committed before the fill is in the fill's scan (its facts and attributes are committed
when the scan starts); one kept after waits for the segment's commit and so evaluates its
players against it. Without it, an event committed during the scan was in neither.

Rolling windows also change a match as time passes with no event: domain.segments.refresh
re-evaluates, once a day, only the players that can have changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, func, insert, select, text

from domain.accounts.models import Player
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import emit_many
from domain.segments import rules
from domain.segments.events import SegmentMembershipChanged
from domain.segments.models import (
    Segment,
    SegmentKind,
    SegmentMember,
    SegmentMembershipChange,
)

SAMPLE_MAX: Final = 20
_PLAYER_LOCKS: Final = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('segments:' || id, 0)) "
    "FROM unnest(CAST(:ids AS text[])) AS id ORDER BY id"
)
# Shared by keeping, exclusive for a fill (see the module's docstring).
_KEEPING_SHARED: Final = text(
    "SELECT pg_advisory_xact_lock_shared(hashtextextended('segments-brand:' || :brand, 0))"
)
_FILL_EXCLUSIVE: Final = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('segments-brand:' || :brand, 0))"
)
# Players evaluated per statement when many are re-evaluated at once.
EVALUATE_CHUNK: Final = 500


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[uuid.UUID]


async def preview(uow: UnitOfWork, brand: str, rule: dict[str, Any], sample_size: int) -> Preview:
    """How many of the brand's players a stored rule matches now, and a few of them."""
    matched = select(Player.id).where(Player.brand == brand, rules.predicate(rule, clock.today()))
    count = await uow.session.scalar(select(func.count()).select_from(matched.subquery()))
    sample = (
        await uow.session.scalars(
            matched.order_by(Player.created_at.desc()).limit(min(sample_size, SAMPLE_MAX))
        )
    ).all()
    return Preview(count=int(count or 0), sample=list(sample))


async def fill(uow: UnitOfWork, segment: Segment) -> int:
    """A new rule segment's first members: one scan of its brand; returns how many. Waits
    for the keeping transactions of the brand in flight, and keeping waits for this one's
    commit (module docstring)."""
    assert segment.rule is not None
    await uow.session.execute(_FILL_EXCLUSIVE, {"brand": segment.brand})
    now = clock.now()
    matched = select(Player.id).where(
        Player.brand == segment.brand, rules.predicate(segment.rule, now.date())
    )
    player_ids = list((await uow.session.scalars(matched)).all())
    await _enter(uow, segment.brand, [(segment.id, player) for player in player_ids], now)
    return len(player_ids)


async def add_listed(uow: UnitOfWork, segment: Segment, player_ids: Collection[uuid.UUID]) -> int:
    """A static segment's members (an imported list)."""
    now = clock.now()
    await _enter(uow, segment.brand, [(segment.id, player) for player in player_ids], now)
    return len(player_ids)


async def replace_listed(
    uow: UnitOfWork, segment: Segment, player_ids: Collection[uuid.UUID]
) -> tuple[int, int]:
    """Make a static segment's members exactly `player_ids` (a list sent again); writes
    only the difference, each entry and exit kept. Returns (added, removed)."""
    current = set(
        (
            await uow.session.scalars(
                select(SegmentMember.player_id).where(SegmentMember.segment_id == segment.id)
            )
        ).all()
    )
    wanted = set(player_ids)
    now = clock.now()
    added = sorted(wanted - current)
    removed = sorted(current - wanted)
    await _enter(uow, segment.brand, [(segment.id, player) for player in added], now)
    await _leave(uow, segment.brand, [(segment.id, player) for player in removed], now)
    return len(added), len(removed)


async def live_rules(uow: UnitOfWork, brand: str) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """The brand's live rule segments and their rules."""
    found = await uow.session.execute(
        select(Segment.id, Segment.rule).where(
            Segment.brand == brand,
            Segment.kind == SegmentKind.RULE,
            Segment.archived_at.is_(None),
        )
    )
    return [(segment_id, rule) for segment_id, rule in found.all() if rule is not None]


async def brands_with_rules(uow: UnitOfWork) -> list[str]:
    """The brands with a live rule segment."""
    found = await uow.session.scalars(
        select(Segment.brand)
        .where(Segment.kind == SegmentKind.RULE, Segment.archived_at.is_(None))
        .distinct()
    )
    return sorted(found.all())


async def evaluate_players(uow: UnitOfWork, brand: str, player_ids: Collection[uuid.UUID]) -> int:
    """Re-evaluate these players of `brand` against every live rule segment of the brand
    and record who entered or left; returns how many memberships changed."""
    if not player_ids:
        return 0
    # Before the segments are read, and held to the commit: a segment being filled now is
    # then either committed (and evaluated here) or waits for this (and its scan sees it).
    await uow.session.execute(_KEEPING_SHARED, {"brand": brand})
    segments = await live_rules(uow, brand)
    if not segments:
        return 0
    changed = 0
    ordered = sorted(player_ids)
    for start in range(0, len(ordered), EVALUATE_CHUNK):
        changed += await _evaluate_chunk(
            uow, brand, segments, ordered[start : start + EVALUATE_CHUNK]
        )
    return changed


async def _evaluate_chunk(
    uow: UnitOfWork,
    brand: str,
    segments: Sequence[tuple[uuid.UUID, dict[str, Any]]],
    player_ids: Sequence[uuid.UUID],
) -> int:
    # One evaluation of a player at a time: two events about one player handled at once
    # (a deposit and a self-exclusion) would each compare a snapshot, and the later commit
    # could write the older answer. Serialised, the second reads what the first committed.
    # Locks are taken in id order (no deadlock) and end with the transaction.
    await uow.session.execute(_PLAYER_LOCKS, {"ids": [str(player) for player in player_ids]})
    now = clock.now()
    today = now.date()
    columns = [rules.predicate(rule, today).label(f"s{i}") for i, (_, rule) in enumerate(segments)]
    rows = (
        await uow.session.execute(
            select(Player.id, *columns).where(Player.id.in_(player_ids), Player.brand == brand)
        )
    ).all()
    matches = {
        (segment_id, row[0])
        for row in rows
        for i, (segment_id, _) in enumerate(segments)
        if row[i + 1]
    }
    segment_ids = [segment_id for segment_id, _ in segments]
    current = set(
        (
            await uow.session.execute(
                select(SegmentMember.segment_id, SegmentMember.player_id)
                .where(
                    SegmentMember.player_id.in_(player_ids),
                    SegmentMember.segment_id.in_(segment_ids),
                )
                .with_for_update()
            )
        ).all()
    )
    entering = sorted(matches - current)
    leaving = sorted(current - matches)
    await _enter(uow, brand, entering, now)
    await _leave(uow, brand, leaving, now)
    return len(entering) + len(leaving)


async def _enter(
    uow: UnitOfWork, brand: str, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]], now: datetime
) -> None:
    if not pairs:
        return
    await uow.session.execute(
        insert(SegmentMember),
        [{"segment_id": s, "player_id": p, "since": now} for s, p in pairs],
    )
    await _record(uow, brand, pairs, entered=True, now=now)


async def _leave(
    uow: UnitOfWork, brand: str, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]], now: datetime
) -> None:
    for segment_id, player_id in pairs:
        await uow.session.execute(
            delete(SegmentMember).where(
                SegmentMember.segment_id == segment_id, SegmentMember.player_id == player_id
            )
        )
    await _record(uow, brand, pairs, entered=False, now=now)


async def _record(
    uow: UnitOfWork,
    brand: str,
    pairs: Sequence[tuple[uuid.UUID, uuid.UUID]],
    *,
    entered: bool,
    now: datetime,
) -> None:
    if not pairs:
        return
    await uow.session.execute(
        insert(SegmentMembershipChange),
        [{"segment_id": s, "player_id": p, "entered": entered, "at": now} for s, p in pairs],
    )
    await emit_many(
        uow,
        [
            SegmentMembershipChanged(
                segment_id=str(segment_id), player_id=str(player_id), entered=entered
            )
            for segment_id, player_id in pairs
        ],
        brand=brand,
    )


async def was_member(
    uow: UnitOfWork, segment_id: uuid.UUID, player_id: uuid.UUID, at: datetime
) -> bool:
    """Whether the player was in the segment at `at` (its last change at or before)."""
    entered = await uow.session.scalar(
        select(SegmentMembershipChange.entered)
        .where(
            SegmentMembershipChange.segment_id == segment_id,
            SegmentMembershipChange.player_id == player_id,
            SegmentMembershipChange.at <= at,
        )
        .order_by(SegmentMembershipChange.at.desc(), SegmentMembershipChange.id.desc())
        .limit(1)
    )
    return bool(entered)


async def member_counts(uow: UnitOfWork, segment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Members now per segment, in one statement."""
    if not segment_ids:
        return {}
    found = await uow.session.execute(
        select(SegmentMember.segment_id, func.count())
        .where(SegmentMember.segment_id.in_(segment_ids))
        .group_by(SegmentMember.segment_id)
    )
    counts = dict(found.all())
    return {segment_id: int(counts.get(segment_id, 0)) for segment_id in segment_ids}
