"""Who is acting: a player, a staff user or the system, with what permissions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from domain.accounts.errors import PasswordChangeRequired, TwoFactorRequired
from domain.accounts.models import OddsFormat, PrincipalKind
from domain.accounts.permissions import Permission
from domain.kernel.errors import DomainError, NotAuthenticated, PermissionDenied


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID
    session_id: uuid.UUID
    brand: str | None
    # False while a second factor (or staff enrolment) is owed: only the 2FA steps are open.
    fully_authenticated: bool
    password_change_required: bool = False
    roles: tuple[str, ...] = ()
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    # Staff only: the brands in their scope (None: every brand).
    staff_brands: tuple[str, ...] | None = None
    # Players: how odds are written for them, read with the session (no statement of its own).
    odds_format: OddsFormat = OddsFormat.DECIMAL

    @property
    def is_player(self) -> bool:
        return self.kind is PrincipalKind.PLAYER

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def actor_kind(self) -> str:
        return self.kind.value


def require_player(principal: Principal | None) -> Principal:
    if principal is None or not principal.is_player:
        raise NotAuthenticated()
    if not principal.fully_authenticated:
        raise TwoFactorRequired()
    return principal


def require_permission(principal: Principal | None, permission: Permission) -> Principal:
    """The staff principal if it holds `permission` with a completed second factor."""
    if principal is None:
        raise NotAuthenticated()
    if not principal.is_staff:
        raise PermissionDenied()
    if not principal.fully_authenticated:
        raise TwoFactorRequired()
    if principal.password_change_required:
        raise PasswordChangeRequired()
    if permission not in principal.permissions:
        raise PermissionDenied()
    return principal


def holds_permission(principal: Principal | None, permission: Permission) -> bool:
    """Whether require_permission would let `principal` through (for reads that show less
    rather than fail)."""
    try:
        require_permission(principal, permission)
    except DomainError:
        return False
    return True


def require_brand_scope(actor: Principal | None, brands: list[str] | None) -> None:
    """Staff may only grant or manage what lies within their own brand scope: a staff user
    limited to some brands cannot create or change one with wider reach."""
    if actor is None or actor.staff_brands is None:
        return
    if brands is None or not set(brands) <= set(actor.staff_brands):
        raise PermissionDenied("That reaches beyond your brands.", field="brands")
