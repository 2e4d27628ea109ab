"""The staff console's reads of the audit log (audit.read) and of the staff (staff.manage)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Self

import strawberry

from domain.accounts import staff as staff_service
from domain.accounts.audit_log import AuditFilter, AuditRow
from domain.accounts.permissions import Permission
from domain.kernel.paging import PAGE_SIZE_MAX
from resolvers.accounts import audit as audit_resolvers
from resolvers.permissions import HasPermission
from schema.accounts.types import StaffMember
from schema.context import Info
from schema.errors import as_query_error


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


@strawberry.type(description="One row of the audit log: who did what to which subject, and why.")
class AuditEntry:
    number: str = strawberry.field(description="The row's number in the log (its order).")
    at: datetime
    actor_kind: str = strawberry.field(description="staff, player or system.")
    actor_id: str | None
    actor_email: str | None = strawberry.field(description="For a staff actor: their e-mail.")
    brand: str | None = strawberry.field(description="Null: the row belongs to no brand.")
    action: str
    subject_type: str
    subject_id: str
    reason: str | None
    before: str | None = strawberry.field(description="The subject before, as JSON text.")
    after: str | None = strawberry.field(description="The subject after, as JSON text.")

    @classmethod
    def of(cls, row: AuditRow) -> Self:
        entry = row.entry
        return cls(
            number=str(entry.id),
            at=entry.at,
            actor_kind=entry.actor_kind,
            actor_id=entry.actor_id,
            actor_email=row.actor_email,
            brand=entry.brand,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            reason=entry.reason,
            before=_json(entry.before),
            after=_json(entry.after),
        )


@strawberry.type(description="A page of audit rows, newest first.")
class AuditLogPage:
    entries: list[AuditEntry]
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="Whether every chain of the audit log still holds.")
class AuditChainVerification:
    intact: bool
    first_broken_entry: str | None = strawberry.field(
        description="The number of the first row whose link or digest is wrong."
    )
    checked_at: datetime


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Staff (audit.read): this brand's audit rows (and, for staff of every "
        "brand, the rows of no brand) newest first, by actor, subject and time; keyset "
        f"pagination, at most {PAGE_SIZE_MAX} per page. Errors (extensions.code): "
        "INVALID_RANGE, INVALID_PAGE_SIZE, INVALID_CURSOR.",
        extensions=[HasPermission.extension(Permission.AUDIT_READ)],
    )
    async def audit_log(
        self,
        info: Info,
        *,
        actor: Annotated[
            str | None,
            strawberry.argument(description="A staff member's e-mail, or an actor id."),
        ] = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        from_: Annotated[
            datetime | None,
            strawberry.argument(name="from", description="Inclusive; without a zone, UTC."),
        ] = None,
        to: Annotated[
            datetime | None, strawberry.argument(description="Exclusive; without a zone, UTC.")
        ] = None,
        first: Annotated[int, strawberry.argument(description=f"1 to {PAGE_SIZE_MAX}.")] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="The `endCursor` of the previous page.")
        ] = None,
    ) -> AuditLogPage:
        found = AuditFilter(actor, subject_type, subject_id, from_, to)
        with as_query_error():
            page = await audit_resolvers.audit_entries(
                info.context, found, first=first, after=after
            )
        return AuditLogPage(
            entries=[AuditEntry.of(row) for row in page.rows],
            has_next_page=page.has_next_page,
            end_cursor=page.end_cursor,
        )

    @strawberry.field(
        description="Staff (audit.read, every brand: the log is one whole): re-check every "
        "chain of the audit log now, every row of every brand, as `stakehouse audit verify` "
        "does for the log; null with the error when refused.",
        extensions=[HasPermission.extension(Permission.AUDIT_READ)],
    )
    async def audit_chain_verification(self, info: Info) -> AuditChainVerification | None:
        with as_query_error():
            found = await audit_resolvers.verify_audit_chain(info.context)
        return AuditChainVerification(
            intact=found.intact,
            first_broken_entry=None
            if found.first_broken_entry is None
            else str(found.first_broken_entry),
            checked_at=found.checked_at,
        )

    @strawberry.field(
        description="Staff (staff.manage): the staff whose scope covers this brand (theirs "
        f"alone or every brand), by e-mail, at most {staff_service.STAFF_LIST_MAX}; with "
        "`search`, those whose e-mail contains it.",
        extensions=[HasPermission.extension(Permission.STAFF_MANAGE)],
    )
    async def staff_members(
        self,
        info: Info,
        search: str | None = None,
        first: Annotated[
            int, strawberry.argument(description=f"1 to {staff_service.STAFF_LIST_MAX}.")
        ] = 100,
    ) -> list[StaffMember]:
        with as_query_error():
            rows = await audit_resolvers.staff_members(info.context, search, first)
        return [StaffMember.from_model(row) for row in rows]


__all__ = ["AuditQuery"]
