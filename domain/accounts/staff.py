"""Staff users: creation with a one-time password, roles, sign-in, password change."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts import passwords
from domain.accounts.errors import (
    AccountClosed,
    InvalidRole,
    StaffEmailTaken,
)
from domain.accounts.identifiers import normalise_email
from domain.accounts.models import PrincipalKind, StaffUser
from domain.accounts.permissions import Permission, Role
from domain.accounts.principal import Principal, reach_of, require_permission
from domain.accounts.sign_in import Attempt, Candidate, SignInResult, sign_in
from domain.accounts.throttle import account_key
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError, NotFound

ONE_TIME_PASSWORD_BYTES = 18


@dataclass(frozen=True)
class CreatedStaff:
    staff: StaffUser
    # Shown once; the first sign-in must replace it.
    one_time_password: str


def _roles(roles: list[str]) -> list[str]:
    valid = {role.value for role in Role}
    for role in roles:
        if role not in valid:
            raise InvalidRole(f"Unknown role {role!r}.", field="roles")
    return sorted(set(roles))


async def create(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    email: str,
    roles: list[str],
    brands: list[str] | None = None,
) -> CreatedStaff:
    """Create a staff user with a one-time password. `actor` None is the operator's own
    shell (`stakehouse seed`); otherwise staff.manage is needed, and the new user's brands
    must lie within the actor's. Errors: PermissionDenied, InvalidEmail, InvalidRole,
    StaffEmailTaken."""
    if actor is not None:
        # A staff user limited to some brands cannot create one with wider reach.
        require_permission(actor, Permission.STAFF_MANAGE, reach_of(brands), field="brands")
    normalised = normalise_email(email)
    one_time_password = secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)
    staff_id = uuid.uuid4()
    inserted = await uow.session.scalar(
        insert(StaffUser)
        .values(
            id=staff_id,
            email=normalised,
            password_hash=await passwords.hash_password(one_time_password),
            password_change_required=True,
            roles=_roles(roles),
            brands=brands,
            active=True,
            two_factor_enabled=False,
        )
        .on_conflict_do_nothing()
        .returning(StaffUser.id)
    )
    if inserted is None:
        raise StaffEmailTaken(field="email")
    staff = await uow.session.get(StaffUser, staff_id)
    assert staff is not None
    await audit.record(
        uow,
        actor_kind=actor.actor_kind if actor else "system",
        actor_id=actor.id if actor else None,
        action="staff.create",
        subject_type="staff",
        subject_id=staff.id,
        brand=None,
        after={"email": staff.email, "roles": staff.roles, "brands": staff.brands},
    )
    return CreatedStaff(staff, one_time_password)


async def find_by_email(uow: UnitOfWork, email: str) -> StaffUser | None:
    return await uow.session.scalar(
        select(StaffUser).where(StaffUser.email == email.strip().lower())
    )


async def login(uow: UnitOfWork, email: str, attempt: Attempt) -> SignInResult:
    """Password step for staff. The session stays pending until a TOTP code (or, without
    2FA yet, enrolment) completes it. Failures are returned, not raised."""
    staff = await find_by_email(uow, email)
    candidate = (
        Candidate(
            kind=PrincipalKind.STAFF,
            id=staff.id,
            brand=None,
            password_hash=staff.password_hash,
            second_factor_owed=True,
            refusal=None if staff.active else AccountClosed(),
        )
        if staff
        else None
    )
    # Per account once known (as for players); an unknown email counts on its own.
    key = account_key("staff", str(staff.id) if staff else email)
    return await sign_in(uow, candidate, replace(attempt, throttle_key=key))


async def set_roles(
    uow: UnitOfWork, actor: Principal, staff_id: uuid.UUID, roles: list[str]
) -> StaffUser:
    """Replace a staff user's roles (staff.manage), audited. Errors: PermissionDenied,
    NotFound, InvalidRole."""
    staff = await uow.session.get(StaffUser, staff_id, with_for_update=True)
    if staff is None:
        raise NotFound(field="staffId")
    # Nor manage one with wider reach than their own.
    require_permission(actor, Permission.STAFF_MANAGE, reach_of(staff.brands), field="brands")
    before = list(staff.roles)
    staff.roles = _roles(roles)
    await audit.record(
        uow,
        actor_kind=actor.actor_kind,
        actor_id=actor.id,
        action="staff.roles.set",
        subject_type="staff",
        subject_id=staff.id,
        brand=None,
        before={"roles": before},
        after={"roles": staff.roles},
    )
    return staff


STAFF_LIST_MAX = 200


async def members(
    uow: UnitOfWork, actor: Principal | None, brand: str, search: str | None, limit: int
) -> list[StaffUser]:
    """The staff whose scope covers `brand` (theirs alone, or every brand), by e-mail; with
    `search`, those whose e-mail contains it. For staff.manage over `brand`.
    Errors: those of require_permission, INVALID (a limit outside 1 to STAFF_LIST_MAX)."""
    require_permission(actor, Permission.STAFF_MANAGE, brand)
    if not 1 <= limit <= STAFF_LIST_MAX:
        raise DomainError(f"Ask for 1 to {STAFF_LIST_MAX} members.", field="first")
    statement = select(StaffUser).where(
        or_(StaffUser.brands.is_(None), StaffUser.brands.contains([brand]))
    )
    if search and search.strip():
        pattern = "%" + search.strip().lower().replace("\\", "\\\\").replace("%", "\\%") + "%"
        statement = statement.where(StaffUser.email.like(pattern.replace("_", "\\_")))
    rows = await uow.session.scalars(statement.order_by(StaffUser.email).limit(limit))
    return list(rows)
