"""Who is acting: a player, a staff user or the system, with what permissions."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from domain.accounts.errors import PasswordChangeRequired, TwoFactorRequired
from domain.accounts.models import OddsFormat, PrincipalKind
from domain.accounts.permissions import Permission
from domain.kernel.errors import DomainError, NotAuthenticated, PermissionDenied, WithdrawOnly


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
    # Players: a self-excluded player's session, open only to balances, history, withdrawals
    # and messages (require_player refuses the rest with WithdrawOnly).
    withdraw_only: bool = False

    @property
    def is_player(self) -> bool:
        return self.kind is PrincipalKind.PLAYER

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def actor_kind(self) -> str:
        return self.kind.value


def require_player(
    principal: Principal | None, *, withdraw_only_allowed: bool = False
) -> Principal:
    """The signed-in player. `withdraw_only_allowed`: the few actions a self-excluded
    player's withdraw-only session keeps (balances, history, withdrawing, messages).
    Errors: NotAuthenticated, TwoFactorRequired, WithdrawOnly."""
    if principal is None or not principal.is_player:
        raise NotAuthenticated()
    if not principal.fully_authenticated:
        raise TwoFactorRequired()
    if principal.withdraw_only and not withdraw_only_allowed:
        raise WithdrawOnly()
    return principal


def require_player_record_reader(
    principal: Principal | None, player_id: uuid.UUID, permission: Permission, brand: str
) -> Principal:
    """Who may read one player's own records (wallets, bets, rounds): that player, also in
    a withdraw-only session, or staff holding `permission` over `brand`.
    Errors: NotAuthenticated, TwoFactorRequired, PermissionDenied, PasswordChangeRequired."""
    if principal is None:
        raise NotAuthenticated()
    if principal.is_player:
        require_player(principal, withdraw_only_allowed=True)
        if principal.id != player_id:
            raise PermissionDenied()
        return principal
    return require_permission(principal, permission, brand)


class EveryBrand(Enum):
    """The reach of an action on what every brand's players see: the shared sportsbook
    catalogue (market and event statuses, prices, margins). Only staff who hold every brand
    (a staff user without a brand list: the platform trading desk) act on it, since a brand
    cannot change another brand's book."""

    EVERY_BRAND = "every brand"


EVERY_BRAND: Final = EveryBrand.EVERY_BRAND

# The brands a staff action touches: one brand (its target's, or the request's brand that
# every brand-scoped read and write filters on), several, or the shared catalogue.
Reach = str | Collection[str] | EveryBrand


def require_permission(
    principal: Principal | None,
    permission: Permission,
    over: Reach,
    *,
    field: str | None = None,
) -> Principal:
    """The staff principal if it holds `permission` with a completed second factor, over
    every brand the action reaches (`over`). The one gate of every staff read and write:
    permission and brand scope are never checked apart. `field` names the input that
    carried a target beyond the staff member's brands."""
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
    if not reaches(principal, over):
        raise PermissionDenied("That reaches beyond your brands.", field=field)
    return principal


def reaches(principal: Principal, over: Reach) -> bool:
    """Whether a staff member's brands cover `over` (staff without a brand list hold every
    brand, those to come included)."""
    if principal.staff_brands is None:
        return True
    if isinstance(over, EveryBrand):
        return False
    targets = {over} if isinstance(over, str) else set(over)
    return targets <= set(principal.staff_brands)


def reach_of(brands: Collection[str] | None) -> Reach:
    """The reach of a brand list where None means every brand (a staff user's own)."""
    return EVERY_BRAND if brands is None else brands


def holds_permission(principal: Principal | None, permission: Permission, over: Reach) -> bool:
    """Whether require_permission would let `principal` through (for reads that show less
    rather than fail)."""
    try:
        require_permission(principal, permission, over)
    except DomainError:
        return False
    return True
