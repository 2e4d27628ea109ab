"""What CRM staff do with segments: preview a rule, save a rule segment (filled once, kept
from events afterwards), import a static list from CSV, archive, list with member counts,
and ask whether a player was in a segment at a moment. Every call checks
`player.message.send` over the brand; every write is audited."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from domain.accounts.models import Player
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.segments import membership, rules
from domain.segments.errors import InvalidPlayerList, InvalidSegmentName, SegmentNotFound
from domain.segments.models import Segment, SegmentKind

NAME_LENGTH_MAX: Final = 100
CSV_BYTES_MAX: Final = 2_000_000
CSV_ROWS_MAX: Final = 50_000
SEGMENTS_PAGE_MAX: Final = 100
PERMISSION: Final = Permission.PLAYER_MESSAGE_SEND


@dataclass(frozen=True)
class SegmentView:
    segment: Segment
    member_count: int


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_LENGTH_MAX or not name.isprintable():
        raise InvalidSegmentName()
    return name


async def preview(
    uow: UnitOfWork, staff: Principal | None, brand: str, rule: object, sample_size: int
) -> membership.Preview:
    """Count and sample of the brand's players a rule matches now (nothing is saved).
    Errors: PermissionDenied (and the gate's), InvalidRule."""
    require_permission(staff, PERMISSION, brand)
    return await membership.preview(uow, brand, rules.parse(rule), sample_size)


async def create_rule_segment(
    uow: UnitOfWork, staff: Principal | None, brand: str, name: str, rule: object
) -> SegmentView:
    """Save a rule segment and fill it (the one scan of the brand it ever makes).
    Errors: PermissionDenied, InvalidSegmentName, InvalidRule."""
    actor = require_permission(staff, PERMISSION, brand)
    segment = Segment(
        id=uuid.uuid4(), brand=brand, name=_name(name), kind=SegmentKind.RULE,
        rule=rules.parse(rule), created_by=actor.id,
    )  # fmt: skip
    uow.session.add(segment)
    await uow.flush()
    count = await membership.fill(uow, segment)
    await _audit(uow, actor, segment, "segment.created", {"rule": segment.rule, "members": count})
    return SegmentView(segment, count)


async def import_list(
    uow: UnitOfWork, staff: Principal | None, brand: str, name: str, csv_text: str
) -> SegmentView:
    """Save a static segment of the players a CSV names (one e-mail address or player id in
    the first column of each row; a header row is skipped; players of other brands and
    unknown ones are left out). Errors: PermissionDenied, InvalidSegmentName,
    InvalidPlayerList."""
    actor = require_permission(staff, PERMISSION, brand)
    segment_name = _name(name)
    emails, ids = _read_csv(csv_text)
    found = await uow.session.scalars(
        select(Player.id).where(
            Player.brand == brand, (Player.email.in_(emails)) | (Player.id.in_(ids))
        )
    )
    player_ids = set(found.all())
    if not player_ids:
        raise InvalidPlayerList("No player of this brand is on the list.")
    segment = Segment(
        id=uuid.uuid4(), brand=brand, name=segment_name, kind=SegmentKind.STATIC, rule=None,
        created_by=actor.id,
    )  # fmt: skip
    uow.session.add(segment)
    await uow.flush()
    await membership.add_listed(uow, segment, player_ids)
    await _audit(
        uow, actor, segment, "segment.imported",
        {"rows": len(emails) + len(ids), "members": len(player_ids)},
    )  # fmt: skip
    return SegmentView(segment, len(player_ids))


def _read_csv(csv_text: str) -> tuple[list[str], list[uuid.UUID]]:
    if len(csv_text.encode()) > CSV_BYTES_MAX:
        raise InvalidPlayerList(f"A list is at most {CSV_BYTES_MAX // 1_000_000} MB.")
    emails: list[str] = []
    ids: list[uuid.UUID] = []
    try:
        rows = list(csv.reader(io.StringIO(csv_text)))
    except csv.Error:
        raise InvalidPlayerList() from None
    if len(rows) > CSV_ROWS_MAX:
        raise InvalidPlayerList(f"A list has at most {CSV_ROWS_MAX} rows.")
    for number, row in enumerate(rows):
        value = row[0].strip() if row else ""
        if not value:
            continue
        if "@" in value:
            emails.append(value.lower())
            continue
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            if number == 0:
                continue  # a header
            raise InvalidPlayerList(f"Row {number + 1} is neither an e-mail nor an id.") from None
    if not emails and not ids:
        raise InvalidPlayerList("The list names no player.")
    return emails, ids


async def archive(
    uow: UnitOfWork, staff: Principal | None, brand: str, segment_id: uuid.UUID | None
) -> SegmentView:
    """Stop keeping a segment (its members and history stay for the record).
    Errors: PermissionDenied, SegmentNotFound."""
    actor = require_permission(staff, PERMISSION, brand)
    segment = await _segment(uow, brand, segment_id, lock=True)
    if segment.archived_at is None:
        segment.archived_at = clock.now()
        await uow.flush()
        await _audit(uow, actor, segment, "segment.archived", None)
    counts = await membership.member_counts(uow, [segment.id])
    return SegmentView(segment, counts[segment.id])


async def segments(
    uow: UnitOfWork, staff: Principal | None, brand: str, *, first: int
) -> list[SegmentView]:
    """The brand's live segments, newest first, with member counts (two statements)."""
    require_permission(staff, PERMISSION, brand)
    found = (
        await uow.session.scalars(
            select(Segment)
            .where(Segment.brand == brand, Segment.archived_at.is_(None))
            .order_by(Segment.created_at.desc(), Segment.id)
            .limit(max(1, min(first, SEGMENTS_PAGE_MAX)))
        )
    ).all()
    counts = await membership.member_counts(uow, [segment.id for segment in found])
    return [SegmentView(segment, counts[segment.id]) for segment in found]


async def segment(
    uow: UnitOfWork, staff: Principal | None, brand: str, segment_id: uuid.UUID | None
) -> SegmentView:
    require_permission(staff, PERMISSION, brand)
    found = await _segment(uow, brand, segment_id)
    counts = await membership.member_counts(uow, [found.id])
    return SegmentView(found, counts[found.id])


async def was_member(
    uow: UnitOfWork,
    staff: Principal | None,
    brand: str,
    segment_id: uuid.UUID | None,
    *,
    player_id: uuid.UUID | None,
    at: datetime,
) -> bool:
    """Whether a player of the brand was in the segment at `at`.
    Errors: PermissionDenied, SegmentNotFound."""
    require_permission(staff, PERMISSION, brand)
    found = await _segment(uow, brand, segment_id)
    if player_id is None:
        return False
    return await membership.was_member(uow, found.id, player_id, at)


async def sample_players(uow: UnitOfWork, brand: str, ids: Sequence[uuid.UUID]) -> list[Player]:
    if not ids:
        return []
    found = await uow.session.scalars(
        select(Player).where(Player.id.in_(ids), Player.brand == brand)
    )
    by_id = {player.id: player for player in found.all()}
    return [by_id[player_id] for player_id in ids if player_id in by_id]


async def _segment(
    uow: UnitOfWork, brand: str, segment_id: uuid.UUID | None, *, lock: bool = False
) -> Segment:
    if segment_id is None:
        raise SegmentNotFound(field="segmentId")
    statement = select(Segment).where(Segment.id == segment_id, Segment.brand == brand)
    if lock:
        statement = statement.with_for_update()
    found = await uow.session.scalar(statement)
    if found is None:
        raise SegmentNotFound(field="segmentId")
    return found


async def _audit(
    uow: UnitOfWork, actor: Principal, segment: Segment, action: str, after: dict[str, Any] | None
) -> None:
    await audit.record(
        uow, actor_kind="staff", actor_id=actor.id, action=action, subject_type="segment",
        subject_id=segment.id, brand=segment.brand,
        after={"name": segment.name, **(after or {})},
    )  # fmt: skip
