"""Reading the audit log for staff with audit.read: search by actor, subject and time,
newest first, keyset paged by row id; and the chain's verification (kernel.audit).

Staff read the rows of the brand they work on; staff of every brand also read the rows
that belong to no brand (staff management, system jobs). The actor is shown with the
staff member's e-mail where there is one (one join, no query per row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import String, and_, cast, or_, select

from domain.accounts.models import StaffUser
from domain.accounts.permissions import Permission
from domain.accounts.principal import EVERY_BRAND, Principal, holds_permission, require_permission
from domain.kernel import audit, clock
from domain.kernel.audit import AuditEntry
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.paging import ID, check_page_size, decode_cursor, encode_cursor

CURSOR_VERSION: Final = "audit1"
FILTER_CHARS_MAX: Final = 200


class InvalidAuditRange(DomainError):
    code = "INVALID_RANGE"
    message = "`from` must come before `to`."


@dataclass(frozen=True)
class AuditFilter:
    # A staff member's e-mail, or an actor id as the rows store it (a uuid, or none).
    actor: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor_email: str | None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(CURSOR_VERSION, self.rows[-1].entry.id) if self.rows else None


@dataclass(frozen=True)
class ChainVerification:
    intact: bool
    first_broken_entry: int | None
    checked_at: datetime


def _bounded(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > FILTER_CHARS_MAX:
        raise DomainError(f"At most {FILTER_CHARS_MAX} characters.", field=field)
    return value.strip()


async def search(
    uow: UnitOfWork,
    principal: Principal | None,
    brand: str,
    found: AuditFilter,
    *,
    first: int,
    after: str | None,
) -> AuditPage:
    """One page of the brand's audit rows matching `found`, newest first (two statements
    at most: none beyond the page). Errors: those of require_permission, InvalidPageSize,
    InvalidCursor, INVALID_RANGE, INVALID (a filter over 200 characters)."""
    staff = require_permission(principal, Permission.AUDIT_READ, brand)
    check_page_size(first)
    before_id = decode_cursor(after, CURSOR_VERSION, ID)[0] if after is not None else None
    if found.at_from and found.at_to and found.at_from >= found.at_to:
        raise InvalidAuditRange(field="from")
    actor = _bounded(found.actor, "actor")
    subject_type = _bounded(found.subject_type, "subjectType")
    subject_id = _bounded(found.subject_id, "subjectId")
    scope = AuditEntry.brand == brand
    if holds_permission(staff, Permission.AUDIT_READ, EVERY_BRAND):
        scope = or_(scope, AuditEntry.brand.is_(None))
    conditions = [scope]
    if before_id is not None:
        conditions.append(AuditEntry.id < before_id)
    if actor is not None:
        if "@" in actor:
            conditions.append(StaffUser.email == actor.lower())
        else:
            conditions.append(AuditEntry.actor_id == actor)
    if subject_type is not None:
        conditions.append(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        conditions.append(AuditEntry.subject_id == subject_id)
    if found.at_from is not None:
        conditions.append(AuditEntry.at >= found.at_from)
    if found.at_to is not None:
        conditions.append(AuditEntry.at < found.at_to)
    statement = (
        select(AuditEntry, StaffUser.email)
        .outerjoin(
            StaffUser,
            and_(
                AuditEntry.actor_kind == "staff",
                cast(StaffUser.id, String) == AuditEntry.actor_id,
            ),
        )
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .limit(first + 1)
    )
    rows = [AuditRow(entry, email) for entry, email in await uow.session.execute(statement)]
    return AuditPage(rows[:first], has_next_page=len(rows) > first)


async def verify(uow: UnitOfWork, principal: Principal | None) -> ChainVerification:
    """Re-check every chain of the log: every row of every brand (the log is one whole), so
    for staff of every brand only. Errors: those of require_permission."""
    require_permission(principal, Permission.AUDIT_READ, EVERY_BRAND)
    broken = await audit.verify_chain(uow)
    return ChainVerification(broken is None, broken, clock.now())
